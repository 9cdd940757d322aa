// Every migration, in order. A migration's name never changes once released.
import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';
import * as m0001 from './0001-initial.ts';
import * as m0002 from './0002-quotas.ts';

export interface MigrationModule {
  name: string;
  up(db: Kysely<any>, kind: DbKind): Promise<void>;
}

export const migrations: readonly MigrationModule[] = [m0001, m0002];
