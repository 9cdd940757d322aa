// A port's extension attributes kept in tables of their own (security groups, allowed
// address pairs, extra DHCP options): parsed and checked alike on create and update.
import type { Deps } from './deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { Tx } from '../db/transaction.ts';
import type { PortAddressPair, PortDhcpOpt } from '../db/repos/ports.ts';
import { sharedWith } from '../db/repos/rbac.ts';
import { normalizeMac } from '../domain/ip/mac.ts';
import { AllowedAddressPairExhausted, ExtraDhcpOptsDuplicate, SecurityGroupNotFound } from '../errors/catalog.ts';

export function addressPairs(deps: Deps, raw: unknown, portMac: string): PortAddressPair[] {
  const list = (raw ?? []) as { ip_address: string; mac_address?: string }[];
  if (list.length > deps.config.maxAllowedAddressPair) throw AllowedAddressPairExhausted(deps.config.maxAllowedAddressPair);
  const seen = new Set<string>();
  const out: PortAddressPair[] = [];
  for (const p of list) {
    const mac = p.mac_address ? normalizeMac(p.mac_address)! : portMac;
    const key = `${mac}|${p.ip_address}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ip_address: p.ip_address, mac_address: mac });
  }
  return out;
}

export function dhcpOpts(raw: unknown): PortDhcpOpt[] {
  const out: PortDhcpOpt[] = [];
  const seen = new Set<string>();
  for (const o of (raw ?? []) as { opt_name: string; opt_value: string | null; ip_version?: number }[]) {
    const version = o.ip_version ?? 4;
    const key = `${o.opt_name}|${version}`;
    if (seen.has(key)) throw ExtraDhcpOptsDuplicate(o.opt_name);
    seen.add(key);
    if (o.opt_value === null) continue;
    out.push({ opt_name: o.opt_name, opt_value: o.opt_value, ip_version: version });
  }
  return out;
}

export function uniqueStrings(v: unknown): string[] {
  return [...new Set((v ?? []) as string[])].sort();
}

/** Given groups must exist and belong to the port's project (admins may use any): SecurityGroupNotFound. */
export async function checkGroups(tx: Tx, ctx: RequestContext, projectId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = await tx.selectFrom('security_groups').select(['id', 'project_id']).where('id', 'in', ids).execute();
  // Owned groups, and groups shared with the port's project (rbac-security-groups).
  const shared = await sharedWith(tx, 'security_group', ids, projectId);
  const valid = new Set(found.filter((g) => ctx.isAdmin || g.project_id === projectId || shared.has(g.id)).map((g) => g.id));
  const missing = ids.filter((id) => !valid.has(id));
  if (missing.length) throw SecurityGroupNotFound(missing.join(', '));
}
