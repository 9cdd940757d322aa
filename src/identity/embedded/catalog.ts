// The service catalog the embedded identity hands out: itself (identity) and Muon's
// Networking API (network), each with public/internal/admin endpoints in RegionOne,
// as the seed's `openstack endpoint create` commands register them.
import { createHash } from 'node:crypto';

export interface CatalogEndpoint { id: string; interface: string; region: string; region_id: string; url: string }
export interface CatalogService { id: string; type: string; name: string; endpoints: CatalogEndpoint[] }

export const REGION = 'RegionOne';

const stableId = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);

export function buildCatalog(urls: { identity: string; network: string }): CatalogService[] {
  const service = (type: string, name: string, url: string): CatalogService => ({
    id: stableId('service', type),
    type,
    name,
    endpoints: ['public', 'internal', 'admin'].map((iface) => ({ id: stableId('endpoint', type, iface), interface: iface, region: REGION, region_id: REGION, url })),
  });
  return [service('identity', 'keystone', urls.identity), service('network', 'neutron', urls.network)];
}
