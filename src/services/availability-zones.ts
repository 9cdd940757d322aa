// Availability zones. Neutron lists the zones its agents report; until Muon has agents,
// the zones are those of [DEFAULT] default_availability_zones, or 'nova' (what every agent
// reports by default), for both network (DHCP) and router (L3) resources.
import type { Deps } from './deps.ts';
import { AvailabilityZoneNotFound } from '../errors/catalog.ts';

export type ZoneResource = 'network' | 'router';

export interface AvailabilityZone { name: string; resource: ZoneResource; state: 'available' | 'unavailable' }

export function knownZones(deps: Deps): string[] {
  const configured = deps.config.defaultAvailabilityZones ?? [];
  return configured.length ? [...new Set(configured)] : ['nova'];
}

export function listAvailabilityZones(deps: Deps): AvailabilityZone[] {
  return (['network', 'router'] as const).flatMap((resource) => knownZones(deps).map((name) => ({ name, resource, state: 'available' as const })));
}

/** validate_availability_zones: every hint must be a zone of the resource's agents. */
export function validateAvailabilityZoneHints(deps: Deps, _resource: ZoneResource, hints: readonly string[] | undefined): void {
  if (!hints?.length) return;
  const zones = new Set(knownZones(deps));
  const missing = hints.find((h) => !zones.has(h));
  if (missing !== undefined) throw AvailabilityZoneNotFound(missing);
}
