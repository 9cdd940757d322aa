// The service catalog the embedded identity hands out. Services and endpoints the
// operator registered (`openstack service create`, `openstack endpoint create`, as in
// the seed) are stored in identity.json. Until a service of type identity or network is
// registered, a built-in one stands in for it, pointing at where Muon itself listens
// (public/internal/admin in RegionOne), so a fresh install works without any setup and
// the seed's `service create --name neutron ... network` does not meet a second
// "neutron" when `endpoint create ... neutron public` looks it up by name.
import { createHash } from 'node:crypto';
import type { Endpoint, IdentityData, Service } from './store.ts';

export interface CatalogEndpoint { id: string; interface: string; region: string | null; region_id: string | null; url: string }
export interface CatalogService { id: string; type: string; name: string; endpoints: CatalogEndpoint[] }
export interface CatalogUrls { identity: string; network: string }

export const REGION = 'RegionOne';

const stableId = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);

/** The stored services and endpoints, plus the built-in ones whose type nobody registered. */
export interface CatalogEntries { services: Service[]; endpoints: Endpoint[]; builtin: Set<string> }

export function catalogEntries(d: IdentityData, urls: CatalogUrls): CatalogEntries {
  const services = [...d.services];
  const endpoints = [...d.endpoints];
  const builtin = new Set<string>();
  for (const [type, name, url] of [['identity', 'keystone', urls.identity], ['network', 'neutron', urls.network]]) {
    if (d.services.some((s) => s.type === type)) continue;
    const id = stableId('service', type);
    services.push({ id, type, name, enabled: true });
    builtin.add(id);
    for (const iface of ['public', 'internal', 'admin']) {
      const e: Endpoint = { id: stableId('endpoint', type, iface), service_id: id, interface: iface, url, region_id: REGION, enabled: true };
      endpoints.push(e);
      builtin.add(e.id);
    }
  }
  return { services, endpoints, builtin };
}

/** The catalog in tokens and GET /v3/auth/catalog: enabled services with their enabled endpoints. */
export function buildCatalog(d: IdentityData, urls: CatalogUrls): CatalogService[] {
  const { services, endpoints } = catalogEntries(d, urls);
  return services.filter((s) => s.enabled).map((s) => ({
    id: s.id, type: s.type, name: s.name ?? '',
    endpoints: endpoints.filter((e) => e.service_id === s.id && e.enabled)
      .map((e) => ({ id: e.id, interface: e.interface, region: e.region_id, region_id: e.region_id, url: e.url })),
  })).filter((s) => s.endpoints.length > 0); // Keystone leaves out services without endpoints
}
