// `bin/muon server` as a child process with the embedded identity, configured like the seed's
// controller (ml2: flat public + vxlan tenant networks, the router service plugin), for tests
// that drive it with the real CLIs: the openrc files it writes are read as `source` would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOpenrc } from '../../src/lab/api-client.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface MuonServer {
  dir: string;
  apiUrl: string;
  /** The exports of state/admin-openrc.sh and state/demo-openrc.sh. */
  admin: Record<string, string>;
  demo: Record<string, string>;
  stop(): void;
}

/** `source <file>`: the exports of an openrc file. */
export function sourceOpenrc(file: string): Record<string, string> {
  return parseOpenrc(readFileSync(file, 'utf8'));
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

export async function startMuonServer(prefix = 'muon-server-'): Promise<MuonServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const [apiPort, idPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'neutron.conf'), [
    '[DEFAULT]', 'bind_host = 127.0.0.1', `bind_port = ${apiPort}`, 'auth_strategy = keystone', 'core_plugin = ml2',
    'service_plugins = router', 'allow_overlapping_ips = True', `state_path = ${dir}/state`,
    '[muon]', 'identity = embedded', `identity_port = ${idPort}`, '',
  ].join('\n'));
  writeFileSync(join(dir, 'ml2_conf.ini'), [
    '[ml2]', 'type_drivers = flat,vlan,vxlan', 'tenant_network_types = vxlan', 'mechanism_drivers = linuxbridge,l2population',
    'extension_drivers = port_security', '[ml2_type_flat]', 'flat_networks = public', '[ml2_type_vxlan]', 'vni_ranges = 1:1000',
    '[securitygroup]', 'enable_ipset = True', '',
  ].join('\n'));
  const server: ChildProcess = spawn(join(ROOT, 'bin/muon'), ['server', '--config-file', join(dir, 'neutron.conf'), '--config-file', join(dir, 'ml2_conf.ini')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`muon server did not start:\n${log}`)), 30_000);
      server.stderr!.on('data', (c: Buffer) => { log += c; if (log.includes('"listening"')) { clearTimeout(t); resolve(); } });
      server.once('exit', (code) => { clearTimeout(t); reject(new Error(`muon server exited ${code}:\n${log}`)); });
    });
  } catch (e) {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    admin: sourceOpenrc(join(dir, 'state/admin-openrc.sh')),
    demo: sourceOpenrc(join(dir, 'state/demo-openrc.sh')),
    stop: () => { server.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); },
  };
}
