// Every migration, in order. A migration's name never changes once released.
import type { Kysely } from 'kysely';
import type { DbKind } from '../kind.ts';
import * as m0001 from './0001-initial.ts';
import * as m0002 from './0002-quotas.ts';
import * as m0003 from './0003-security-groups.ts';
import * as m0004 from './0004-routers.ts';
import * as m0005 from './0005-rbac.ts';
import * as m0006 from './0006-subnetpools.ts';
import * as m0007 from './0007-rbac-pools-scopes.ts';
import * as m0008 from './0008-agents.ts';
import * as m0009 from './0009-l3-agents.ts';
import * as m0010 from './0010-network-is-default.ts';

export interface MigrationModule {
  name: string;
  up(db: Kysely<any>, kind: DbKind): Promise<void>;
}

export const migrations: readonly MigrationModule[] = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009, m0010];
