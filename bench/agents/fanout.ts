// One fan-out: a security-group rule added to the group every port is in (so it concerns
// every host), timed from just before the API request until each host's agent had a
// snapshot holding it. Hosts may live in several load-generator processes: they stamp
// arrivals with the machine's clock (epoch ms), the same one read here.
import type { ApiCall } from './topology.ts';
import { epochNow, type Collected } from './fleet.ts';

/** A set of simulated hosts (a Fleet in this process, or one in a worker process). */
export interface FanoutTarget {
  /** look for the marker rule from now on (resolved once the hosts do) */
  arm(marker: number): Promise<void> | void;
  collect(marker: number, timeoutMs: number): Promise<Collected>;
}

export interface FanoutResult {
  /** per host: ms from the request to the snapshot with the rule */
  latenciesMs: number[];
  /** per host: the size of that snapshot (JSON bytes) */
  bytes: number[];
  /** the API request alone */
  requestMs: number;
}

export async function fanOut(api: ApiCall, sgId: string, targets: readonly FanoutTarget[], marker: number, timeoutMs = 120_000): Promise<FanoutResult> {
  await Promise.all(targets.map((t) => t.arm(marker)));
  const t0 = epochNow();
  await api('POST', '/v2.0/security-group-rules', {
    security_group_rule: { security_group_id: sgId, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: marker, port_range_max: marker },
  });
  const requestMs = epochNow() - t0;
  const got = await Promise.all(targets.map((t) => t.collect(marker, timeoutMs)));
  return {
    latenciesMs: got.flatMap((g) => Object.values(g.arrivals).map((at) => at - t0)),
    bytes: got.flatMap((g) => Object.values(g.bytes)),
    requestMs,
  };
}

/** The p-th percentile (nearest rank) of xs. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
