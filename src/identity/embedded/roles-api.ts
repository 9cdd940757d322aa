// /v3/roles (list, show, create, update, delete), role grants on projects, domains and
// the system (PUT/HEAD/GET/DELETE /v3/projects/{p}/users/{u}/roles/{r} and the like), and
// /v3/role_assignments with the filters the openstack CLI sends. All admin only, as
// Keystone's default policy; a grant takes effect at once, since token validation reads
// the roles afresh.
import { matches, newId, requireAdmin, str, queryFlag, type AdminContext } from './admin-context.ts';
import { methodNotAllowed, type Reply } from './http-io.ts';
import { badRequest, conflict, KeystoneError, notFound } from './keystone-error.ts';
import { IMPLIES } from './identity.ts';
import type { Assignment, Role } from './store.ts';

export async function rolesApi(c: AdminContext, parts: string[]): Promise<Reply> {
  const { d, view } = c;
  requireAdmin(c);
  const [, id] = parts;
  if (id === undefined) {
    if (c.method === 'POST') {
      const b = await c.body('role');
      const name = str(b, 'name', { required: true })!;
      const description = str(b, 'description', { nullable: true });
      if (b.domain_id !== undefined && b.domain_id !== null) throw badRequest('Domain-specific roles are not supported by the embedded identity.');
      if (d.roles.some((r) => r.name === name)) throw conflict('role', `Duplicate entry found with name ${name}`);
      const role: Role = { id: newId(), name, ...(description != null ? { description } : {}) };
      d.roles.push(role);
      c.save();
      return { status: 201, body: { role: view.role(role) } };
    }
    if (c.method !== 'GET' && c.method !== 'HEAD') throw methodNotAllowed();
    return { status: 200, body: { roles: d.roles.filter((r) => matches(c.q, r)).map(view.role), links: c.links('/roles') } };
  }
  const r = d.roles.find((x) => x.id === id);
  if (!r || parts.length !== 2) throw notFound('role', id);
  if (c.method === 'GET' || c.method === 'HEAD') return { status: 200, body: { role: view.role(r) } };
  if (c.method === 'PATCH') {
    const b = await c.body('role');
    const name = str(b, 'name');
    const description = str(b, 'description', { nullable: true });
    if (name != null && name !== r.name) {
      if (d.roles.some((x) => x.name === name)) throw conflict('role', `Duplicate entry found with name ${name}`);
      r.name = name;
    }
    if (description !== undefined) r.description = description;
    c.save();
    return { status: 200, body: { role: view.role(r) } };
  }
  if (c.method === 'DELETE') {
    d.roles.splice(d.roles.indexOf(r), 1);
    d.assignments = d.assignments.filter((a) => a.role_id !== r.id);
    c.save();
    return { status: 204 };
  }
  throw methodNotAllowed();
}

/**
 * /v3/projects/{p}/users/{u}/roles[/{r}], /v3/domains/{d}/users/{u}/roles[/{r}],
 * /v3/system/users/{u}/roles[/{r}]: `parts` from the target kind on.
 */
export function grantsApi(c: AdminContext, parts: string[]): Reply {
  const { d, view } = c;
  requireAdmin(c);
  const system = parts[0] === 'system';
  const [targetId, userId, roleId] = system ? ['all', parts[2], parts[4]] : [parts[1], parts[3], parts[5]];
  const kind = system ? 'system' : parts[0] === 'projects' ? 'project' : 'domain';
  if (kind === 'project' && !d.projects.some((p) => p.id === targetId)) throw notFound('project', targetId);
  if (kind === 'domain' && !d.domains.some((x) => x.id === targetId)) throw notFound('domain', targetId);
  if (!d.users.some((u) => u.id === userId)) throw notFound('user', userId);
  const on = (a: Assignment) => a.user_id === userId
    && (kind === 'project' ? a.project_id === targetId : kind === 'domain' ? a.domain_id === targetId && a.project_id === undefined : a.system === 'all');
  const base = system ? `/system/users/${userId}/roles` : `/${parts[0]}/${targetId}/users/${userId}/roles`;
  if (roleId === undefined) {
    if (c.method !== 'GET' && c.method !== 'HEAD') throw methodNotAllowed();
    const ids = new Set(d.assignments.filter(on).map((a) => a.role_id));
    return { status: 200, body: { roles: d.roles.filter((r) => ids.has(r.id)).map(view.role), links: c.links(base) } };
  }
  if (!d.roles.some((r) => r.id === roleId)) throw notFound('role', roleId);
  const existing = d.assignments.find((a) => on(a) && a.role_id === roleId);
  switch (c.method) {
    case 'PUT':
      // Granting twice is not an error in Keystone: the grant is simply there.
      if (!existing) {
        d.assignments.push({ user_id: userId, role_id: roleId, ...(kind === 'project' ? { project_id: targetId } : kind === 'domain' ? { domain_id: targetId } : { system: 'all' as const }) });
        c.save();
      }
      return { status: 204 };
    case 'HEAD':
    case 'GET':
      if (!existing) throw assignmentNotFound(roleId, userId, targetId);
      return { status: 204 };
    case 'DELETE':
      if (!existing) throw assignmentNotFound(roleId, userId, targetId);
      d.assignments.splice(d.assignments.indexOf(existing), 1);
      c.save();
      return { status: 204 };
    default:
      throw methodNotAllowed();
  }
}

const assignmentNotFound = (role: string, actor: string, target: string) =>
  new KeystoneError(404, 'Not Found', `Could not find role assignment with role: ${role}, user or group: ${actor}, project, domain, or system: ${target}.`);

/** GET /v3/role_assignments: ?user.id, scope.project.id, scope.domain.id, scope.system, role.id, include_names, effective. */
export function roleAssignmentsApi(c: AdminContext): Reply {
  const { d, q, view } = c;
  requireAdmin(c);
  if (c.method !== 'GET' && c.method !== 'HEAD') throw methodNotAllowed();
  // Groups are not kept: a group filter matches nothing.
  if (q.has('group.id')) return { status: 200, body: { role_assignments: [], links: c.links('/role_assignments') } };
  const names = queryFlag(q, 'include_names') === true;
  // ?effective: what tokens carry, i.e. with bootstrap's implied roles (admin -> member -> reader).
  const listed: Listed[] = q.has('effective') ? withImplied(d.assignments, d.roles) : d.assignments;
  const domainRef = (id: string) => ({ id, ...(names ? { name: d.domains.find((x) => x.id === id)?.name ?? null } : {}) });
  const out = listed.filter((a) => (!q.has('user.id') || a.user_id === q.get('user.id'))
    && (!q.has('role.id') || a.role_id === q.get('role.id'))
    && (!q.has('scope.project.id') || a.project_id === q.get('scope.project.id'))
    && (!q.has('scope.domain.id') || (a.domain_id === q.get('scope.domain.id') && a.project_id === undefined))
    && (!q.has('scope.system') || a.system === 'all'))
    .map((a) => {
      const user = d.users.find((u) => u.id === a.user_id);
      const role = d.roles.find((r) => r.id === a.role_id);
      const project = a.project_id ? d.projects.find((p) => p.id === a.project_id) : undefined;
      const scope = a.project_id
        ? { project: { id: a.project_id, ...(names ? { name: project?.name ?? null, domain: domainRef(project?.domain_id ?? 'default') } : {}) } }
        : a.domain_id ? { domain: { id: a.domain_id, ...(names ? { name: d.domains.find((x) => x.id === a.domain_id)?.name ?? null } : {}) } }
        : { system: { all: true } };
      const target = a.project_id ? `/projects/${a.project_id}` : a.domain_id ? `/domains/${a.domain_id}` : '/system';
      return {
        role: { id: a.role_id, ...(names ? { name: role?.name ?? null } : {}) },
        user: { id: a.user_id, ...(names ? { name: user?.name ?? null, domain: domainRef(user?.domain_id ?? 'default') } : {}) },
        scope,
        // An implied entry links to the grant it comes from, and to the rule, with Keystone's URLs
        // (whose prior_role link names the implied role first, as Keystone's does).
        links: a.prior === undefined
          ? { assignment: view.self(`${target}/users/${a.user_id}/roles/${a.role_id}`) }
          : { assignment: view.self(`${target}/users/${a.user_id}/roles/${a.prior}`), prior_role: view.self(`/prior_role/${a.role_id}/implies/${a.prior}`) },
      };
    });
  return { status: 200, body: { role_assignments: out, links: c.links('/role_assignments') } };
}

/** Assignments plus those their roles imply; an implied one already granted is not repeated. */
type Listed = Assignment & { prior?: string };

function withImplied(assignments: Assignment[], roles: Role[]): Listed[] {
  const id = (name: string) => roles.find((r) => r.name === name)?.id;
  const out: Listed[] = [...assignments];
  const key = (a: Assignment) => [a.user_id, a.role_id, a.project_id ?? '', a.domain_id ?? '', a.system ?? ''].join(' ');
  const seen = new Set(out.map(key));
  for (let i = 0; i < out.length; i++) {
    for (const [prior, implied] of IMPLIES) {
      const impliedId = id(implied);
      if (out[i].role_id !== id(prior) || !impliedId) continue;
      const extra: Listed = { ...out[i], role_id: impliedId, prior: out[i].role_id };
      if (!seen.has(key(extra))) { seen.add(key(extra)); out.push(extra); }
    }
  }
  return out;
}
