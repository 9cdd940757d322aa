// Keystone v3's JSON shapes for the embedded identity's entities, with their `links`.
import type { Domain, Endpoint, Project, Region, Role, Service, User } from './store.ts';

export type Views = ReturnType<typeof views>;

export function views(publicUrl: () => string) {
  const self = (path: string) => `${publicUrl().replace(/\/+$/, '')}${path}`;
  return {
    self,
    /** A collection's `links` (no paging: every list is complete). */
    links: (path: string) => ({ self: self(path), previous: null, next: null }),
    project: (p: Project) => ({
      id: p.id, name: p.name, domain_id: p.domain_id, description: p.description, enabled: p.enabled, parent_id: p.domain_id,
      is_domain: false, tags: [], options: {}, links: { self: self(`/projects/${p.id}`) },
    }),
    user: (u: User) => ({
      ...u.extra, id: u.id, name: u.name, domain_id: u.domain_id, enabled: u.enabled, password_expires_at: null, options: {},
      ...(u.default_project_id ? { default_project_id: u.default_project_id } : {}), links: { self: self(`/users/${u.id}`) },
    }),
    domain: (x: Domain) => ({ id: x.id, name: x.name, description: x.description, enabled: x.enabled, tags: [], options: {}, links: { self: self(`/domains/${x.id}`) } }),
    role: (r: Role) => ({ id: r.id, name: r.name, domain_id: null, description: r.description ?? null, options: {}, links: { self: self(`/roles/${r.id}`) } }),
    service: (s: Service) => ({
      id: s.id, type: s.type, enabled: s.enabled, ...(s.name !== undefined ? { name: s.name } : {}),
      ...(s.description !== undefined ? { description: s.description } : {}), links: { self: self(`/services/${s.id}`) },
    }),
    endpoint: (e: Endpoint) => ({
      id: e.id, interface: e.interface, region_id: e.region_id, region: e.region_id, service_id: e.service_id, url: e.url,
      enabled: e.enabled, links: { self: self(`/endpoints/${e.id}`) },
    }),
    region: (r: Region) => ({ id: r.id, description: r.description, parent_region_id: r.parent_region_id, links: { self: self(`/regions/${r.id}`) } }),
  };
}
