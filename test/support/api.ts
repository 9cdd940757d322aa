// An in-process Muon API server on a fresh database for one test file, and a
// tiny fetch wrapper. The database is SQLite in memory unless MUON_TEST_DB_URL
// points the suite at MariaDB or PostgreSQL (see test/support/db-servers.ts).
import { loadConfigSources, embeddedDefaults } from '../../src/config/load.ts';
import { connect } from '../../src/db/connect.ts';
import { upgrade } from '../../src/db/migrate.ts';
import { startServer, type RunningServer } from '../../src/api/server.ts';
import type { MuonConfig } from '../../src/config/types.ts';
import { jsonLogger } from '../../src/services/log.ts';

export interface Api extends RunningServer {
  req(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** Same, acting as a member of `project` (noauth X-Project-Id / X-Roles headers). */
  as(project: string, roles?: string): (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any; headers: Headers }>;
  config: MuonConfig;
}

export async function startApi(extraIni = '', dbUrl = process.env.MUON_TEST_DB_URL ?? 'sqlite://', opts: { agentSocket?: string; maxBodyBytes?: number } = {}): Promise<Api> {
  // noauth under the test's own settings: tests act as projects through X-Project-Id / X-Roles.
  const { config } = loadConfigSources([{ file: '<test-auth>', text: '[DEFAULT]\nauth_strategy = noauth\n' }, { file: '<test>', text: extraIni }], { defaults: embeddedDefaults() });
  const conn = connect(dbUrl, config.database); // as muon server connects (MariaDB sessions in TRADITIONAL mode)
  await upgrade(conn);
  // MUON_TEST_LOG=1 shows the server's log lines (errors included) on stderr.
  const running = await startServer({ config, conn, host: '127.0.0.1', port: 0, log: process.env.MUON_TEST_LOG ? jsonLogger() : undefined, agentSocket: opts.agentSocket, maxBodyBytes: opts.maxBodyBytes });
  const req: Api['req'] = async (method, path, body, headers = {}) => {
    const res = await fetch(running.url + path, {
      method,
      headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    ...running, config, req,
    as: (project, roles = 'member,reader') => (m, p, b, h = {}) => req(m, p, b, { 'X-Project-Id': project, 'X-Roles': roles, ...h }),
    close: async () => { await running.close(); await conn.close(); },
  };
}
