// Parses [database] connection as SQLAlchemy writes it, so the seed's
// `mysql://neutron:neutron@controller/neutron` works unchanged.
import { isAbsolute, resolve } from 'node:path';

export type DbUrl =
  | { kind: 'sqlite'; path: string }
  | { kind: 'mysql'; host: string; port: number; user: string; password: string; database: string; socketPath?: string }
  | { kind: 'postgres'; host: string; port: number; user: string; password: string; database: string };

export class DbUrlError extends Error {}

export function parseDbUrl(url: string, baseDir = process.cwd()): DbUrl {
  const m = /^([a-z0-9]+)(?:\+([a-z0-9_]+))?:\/\/(.*)$/i.exec(url.trim());
  if (!m) throw new DbUrlError(`[database] connection '${url}' is not a URL: expected sqlite:///path, mysql://user:pass@host/db or postgresql://user:pass@host/db`);
  const scheme = m[1].toLowerCase();
  const rest = m[3];
  if (scheme === 'sqlite') {
    // SQLAlchemy: sqlite:///relative/path, sqlite:////absolute/path, sqlite:// = memory
    if (rest === '' || rest === '/' || rest === '/:memory:') return { kind: 'sqlite', path: ':memory:' };
    if (!rest.startsWith('/')) throw new DbUrlError(`[database] connection '${url}': sqlite URLs have three slashes before a relative path (sqlite:///muon.sqlite) or four before an absolute one (sqlite:////var/lib/muon/muon.sqlite)`);
    const p = rest.slice(1);
    return { kind: 'sqlite', path: isAbsolute(p) ? p : resolve(baseDir, p) };
  }
  const kind = scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : scheme === 'postgresql' || scheme === 'postgres' ? 'postgres' : null;
  if (!kind) throw new DbUrlError(`[database] connection '${url}': unsupported database '${scheme}'; use sqlite, mysql (MariaDB) or postgresql`);
  const u = new URL(`x://${rest}`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) throw new DbUrlError(`[database] connection '${url}' names no database (…@host/neutron)`);
  const common = {
    host: u.hostname || 'localhost',
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database,
  };
  if (kind === 'mysql') {
    const socketPath = u.searchParams.get('unix_socket') ?? undefined;
    return { kind, ...common, port: u.port ? Number(u.port) : 3306, ...(socketPath ? { socketPath } : {}) };
  }
  return { kind, ...common, port: u.port ? Number(u.port) : 5432 };
}
