// auth_strategy = noauth: as Neutron, an admin context; Muon also honours the
// X-Project-Id / X-Roles / X-User-Id headers so one server can play several
// projects in tests and labs without an identity service.
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext } from '../domain/policy/context.ts';

export const NOAUTH_DEFAULT_PROJECT = 'admin';

export function noauthContext(h: IncomingHttpHeaders, requestId: string, defaultProject = NOAUTH_DEFAULT_PROJECT): RequestContext {
  const project = (h['x-project-id'] ?? h['x-tenant-id']) as string | undefined;
  const rolesHeader = h['x-roles'] as string | undefined;
  if (project === undefined && rolesHeader === undefined) {
    return { userId: (h['x-user-id'] as string) ?? 'admin', projectId: defaultProject, roles: ['admin', 'member', 'reader'], isAdmin: true, isAdvsvc: false, systemScope: null, requestId };
  }
  const roles = (rolesHeader ?? 'member,reader').split(',').map((r) => r.trim()).filter(Boolean);
  const isAdmin = roles.some((r) => r.toLowerCase() === 'admin');
  return {
    userId: (h['x-user-id'] as string) ?? null, projectId: project ?? defaultProject, roles, isAdmin,
    isAdvsvc: roles.includes('advsvc') || roles.includes('service'), systemScope: null, requestId,
  };
}
