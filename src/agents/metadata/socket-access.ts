// Who may use the metadata agent's unix socket. Whoever can connect to it can claim any
// X-Neutron-Router-ID and X-Forwarded-For and so read any instance's metadata (user data,
// passwords), so it is not world-writable. The proxies (haproxy) drop to the `haproxy`
// account when it exists (Debian's package creates it) and Muon runs as root: then the
// socket is root:haproxy 0660 and haproxy's config says `user haproxy` / `group haproxy`.
// Otherwise haproxy keeps the agents' own user and the socket is 0600 (Neutron's
// metadata_proxy_socket_mode "deduce" makes the same choice between user/group modes).
import { chmod, chown, readFile } from 'node:fs/promises';

export const PROXY_ACCOUNT = 'haproxy';

export interface ProxyRunAs { user: string; group: string; uid: number; gid: number }

function field(file: string, name: string, index: number): number | undefined {
  for (const line of file.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length > index && /^\d+$/.test(f[index])) return Number(f[index]);
  }
  return undefined;
}

/** The account haproxy runs as, or undefined when it keeps its parent's (not root, or no haproxy account). */
export async function proxyRunAs(): Promise<ProxyRunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [passwd, group] = await Promise.all([readFile('/etc/passwd', 'utf8').catch(() => ''), readFile('/etc/group', 'utf8').catch(() => '')]);
  const uid = field(passwd, PROXY_ACCOUNT, 2);
  const gid = field(group, PROXY_ACCOUNT, 2);
  if (uid === undefined || gid === undefined) return undefined;
  return { user: PROXY_ACCOUNT, group: PROXY_ACCOUNT, uid, gid };
}

/** Give the socket to root and the proxies' group (0660), or to its owner alone (0600). Returns the mode set. */
export async function restrictSocket(path: string, runAs: ProxyRunAs | undefined): Promise<number> {
  if (runAs) {
    await chown(path, 0, runAs.gid);
    await chmod(path, 0o660);
    return 0o660;
  }
  await chmod(path, 0o600);
  return 0o600;
}
