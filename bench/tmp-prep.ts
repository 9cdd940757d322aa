import { createConnection } from 'mysql2/promise';
import { readFileSync } from 'node:fs';
import { freshDatabase } from '../test/support/test-db.ts';
const db = await freshDatabase('mysql', 'prep');
const u = new URL(db.url);
const c = await createConnection({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1), multipleStatements: true });
const cols = Array.from({ length: 20 }, (_, i) => `c${i}`);
for (const t of ['a', 'b', 'c', 'd', 'e']) await c.query(`create table ${t} (id varchar(36) primary key, ${cols.map((x) => `${x} varchar(64)`).join(', ')})`);
await c.query("create table g (id varchar(36) primary key, rev int)"); await c.query("insert into g values ('n', 1)");
const [[{ f }]] = await c.query('select @@pid_file f') as any;
const pid = readFileSync(f, 'utf8').trim();
const cpu = () => { const s = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(s[11]) + Number(s[12])) * 10; };
const stmts = (ph: boolean, id: string) => {
  const v = (x: string) => ph ? '?' : `'${x}'`;
  const params: string[] = [];
  let text = 'begin not atomic set @h = -1; start transaction; set @h = 0; ';
  text += `begin if not ((select rev from g where id = ${v('n')}) <=> 1) then signal sqlstate '45000' set message_text = 'x'; end if; end; `;
  params.push('n');
  ['a', 'b', 'c', 'd', 'e'].forEach((t, k) => {
    text += `set @h = ${k + 1}; insert into ${t} (id, ${cols.join(', ')}) values (${v(id)}, ${cols.map((x) => v(`${x}-${id}`)).join(', ')}); `;
    params.push(id, ...cols.map((x) => `${x}-${id}`));
  });
  text += 'set @h = 9; commit; end';
  return { text, params };
};
for (const mode of ['text', 'prepared', 'text', 'prepared']) {
  const n = 3000; const c0 = cpu(); const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `${mode}-${i}-${Math.random()}`;
    if (mode === 'text') await c.query(stmts(false, id).text);
    else { const s = stmts(true, id); await c.execute(s.text, s.params); }
  }
  console.log(mode, ((cpu() - c0) / n).toFixed(3), 'ms mariadbd CPU/block', ((performance.now() - t0) / n).toFixed(3), 'ms wall');
}
await c.end(); await db.drop();
