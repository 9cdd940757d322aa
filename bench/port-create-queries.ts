// What one port create costs the database on MariaDB: the queries (round trips) the server
// receives for a POST /v2.0/ports without fixed_ips, taken from MariaDB's general log (a
// query may hold several statements: src/db/mysql-driver.ts), the mean of the server's
// Questions counter (statements; a compound BEGIN NOT ATOMIC … END counts once) over N more creates, and of the general log's queries over
// 50 creates after those (timed apart: the general log costs the server), with the CPU time
// per create of this process (API and its HTTP client) and of mariadbd (when it runs on this
// machine): on a busy shared machine those move far less than wall times. The API runs
// in-process on a private MariaDB (test/support/db-servers.ts) or MUON_TEST_MYSQL_URL.
//
//   node bench/port-create-queries.ts [N=200]
import { readFileSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import { startApi } from '../test/support/api.ts';
import { freshDatabase } from '../test/support/test-db.ts';

const n = Number(process.argv[2] ?? 200);
const db = await freshDatabase('mysql', 'create_queries');
// MUON_BENCH_MYSQL_SOCKET=/path/mysqld.sock: the API talks to MariaDB over that unix socket instead of TCP.
const socket = process.env.MUON_BENCH_MYSQL_SOCKET;
const api = await startApi('[quotas]\nquota_port = -1\n', socket ? `${db.url}?unix_socket=${encodeURIComponent(socket)}` : db.url);
const u = new URL(db.url);
const admin = await createConnection({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) });
const questions = async (): Promise<number> => {
  const [rows] = await admin.query("SHOW GLOBAL STATUS LIKE 'Questions'") as unknown as [{ Value: string }[]];
  return Number(rows[0].Value);
};
try {
  const net = (await api.req('POST', '/v2.0/networks', { network: { name: 'q' } })).body.network;
  await api.req('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.9.0.0/16' } });
  await api.req('POST', '/v2.0/ports', { port: { network_id: net.id } }); // the default security group exists from here on
  await admin.query("SET GLOBAL log_output = 'TABLE'");
  await admin.query('TRUNCATE mysql.general_log');
  await admin.query('SET GLOBAL general_log = 1');
  const r = await api.req('POST', '/v2.0/ports', { port: { network_id: net.id, name: 'one' } });
  await admin.query('SET GLOBAL general_log = 0');
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  const [log] = await admin.query("SELECT thread_id, command_type, argument FROM mysql.general_log WHERE command_type IN ('Query', 'Execute', 'Prepare') ORDER BY event_time") as unknown as [{ thread_id: number; command_type: string; argument: Buffer | string }[]];
  const own = log.filter((l) => !String(l.argument).includes('general_log'));
  console.log(`one POST /v2.0/ports: ${own.length} round trips`);
  for (const l of own) console.log(`  [${l.thread_id}] ${l.command_type.padEnd(7)} ${String(l.argument).replace(/\s+/g, ' ').slice(0, 220)}`);
  const [pidRows] = await admin.query('SELECT @@pid_file AS f') as unknown as [{ f: string }[]];
  const serverCpuMs = (): number | null => {
    try {
      const pid = readFileSync(pidRows[0].f, 'utf8').trim();
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in clock ticks of 10 ms
    } catch { return null; }
  };
  const q0 = await questions();
  const s0 = serverCpuMs();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const res = await api.req('POST', '/v2.0/ports', { port: { network_id: net.id, name: `p${i}` } });
    if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  }
  const ms = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const s1 = serverCpuMs();
  const q1 = await questions();
  const mariadbCpu = s0 !== null && s1 !== null ? `, mariadbd CPU ${((s1 - s0) / n).toFixed(2)} ms` : '';
  // the Questions read itself counts once
  const m = 50;
  await admin.query('TRUNCATE mysql.general_log');
  await admin.query('SET GLOBAL general_log = 1');
  for (let i = 0; i < m; i++) {
    const res = await api.req('POST', '/v2.0/ports', { port: { network_id: net.id, name: `r${i}` } });
    if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  }
  await admin.query('SET GLOBAL general_log = 0');
  const [[{ c }]] = await admin.query("SELECT count(*) AS c FROM mysql.general_log WHERE command_type IN ('Query', 'Execute') AND argument NOT LIKE '%general_log%'") as unknown as [{ c: number }[]];
  console.log(`${n} sequential creates: ${((q1 - q0 - 1) / n).toFixed(1)} statements and ${(Number(c) / m).toFixed(1)} round trips per create, ${(ms / n).toFixed(2)} ms per create (in-process client); CPU per create: node ${((c1.user + c1.system) / 1000 / n).toFixed(2)} ms${mariadbCpu}`);
} finally {
  await admin.end();
  await api.close();
  await db.drop();
}
