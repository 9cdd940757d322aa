// Applies pending migrations (`muon db upgrade`). Uses Kysely's Migrator, which
// records applied names in kysely_migration and takes a lock so two servers
// starting together do not both migrate.
import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './connect.ts';
import { migrations } from './migrations/index.ts';

export interface UpgradeResult { applied: string[]; current: string | null }

export async function upgrade(conn: Db): Promise<UpgradeResult> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const m of migrations) out[m.name] = { up: (db) => m.up(db, conn.kind) };
      return out;
    },
  };
  const migrator = new Migrator({ db: conn.db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  return { applied, current: migrations.at(-1)?.name ?? null };
}

export async function pendingMigrations(conn: Db): Promise<string[]> {
  const migrator = new Migrator({
    db: conn.db,
    provider: { getMigrations: async () => Object.fromEntries(migrations.map((m) => [m.name, { up: async () => {} }])) },
  });
  const all = await migrator.getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}
