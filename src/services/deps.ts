// What every service needs, passed explicitly (no globals, no service locator).
import type { Db } from '../db/connect.ts';
import type { MuonConfig } from '../config/types.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { NovaEvent } from '../domain/nova-events.ts';
import type { CreateMemory } from './create-memory.ts';

export interface Policy {
  /** Throws PolicyNotAuthorized naming the rule that failed. `explicit`: attributes the request sets. */
  enforce(ctx: RequestContext, action: string, target: Record<string, unknown>, explicit?: Iterable<string>): void;
  check(ctx: RequestContext, action: string, target: Record<string, unknown>): boolean;
  /** Attributes of a resource type the caller may not see, decided once per request. */
  hiddenAttributes(ctx: RequestContext, resource: string): ReadonlySet<string>;
}

/** Operational events services report (binding failures, agents coming and going). */
export interface EventLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** Where services hand Nova's events after their commit (services/nova-notifier.ts); never throws, never waits. */
export interface NovaSink {
  portEvents(events: (NovaEvent | null)[]): void;
}

export interface Deps {
  conn: Db;
  config: MuonConfig;
  policy: Policy;
  /** absent in tests that do not care */
  log?: EventLog;
  /** present when Nova is notified of port changes */
  nova?: NovaSink;
  /** What this process remembers between port creates (./create-memory.ts); absent: every create reads. */
  memory?: CreateMemory;
}
