// /v3/projects: list (admin; ?name= for the CLIs' name lookup), show (admin or a member),
// create, update and delete (admin, as Keystone's identity:*_project), and /v3/domains
// (read only: the Default domain). Deleting a project removes its role assignments.
import { bool, matches, newId, requireAdmin, str, type AdminContext } from './admin-context.ts';
import { methodNotAllowed, type Reply } from './http-io.ts';
import { badRequest, conflict, forbidden, notFound } from './keystone-error.ts';
import type { Project } from './store.ts';

export async function projectsApi(c: AdminContext, parts: string[]): Promise<Reply> {
  const { d, view } = c;
  const [, id] = parts;
  if (id === undefined) {
    if (c.method === 'POST') return create(c);
    if (c.method !== 'GET' && c.method !== 'HEAD') throw methodNotAllowed();
    // A non-admin lists their own projects with /v3/auth/projects or /v3/users/{id}/projects.
    requireAdmin(c);
    return { status: 200, body: { projects: d.projects.filter((p) => matches(c.q, p)).map(view.project), links: c.links('/projects') } };
  }
  const p = d.projects.find((x) => x.id === id);
  if (!p || parts.length !== 2) throw notFound('project', id);
  if (c.method === 'GET' || c.method === 'HEAD') {
    if (!c.caller.admin && c.identity.rolesOn(c.caller.userId, `p:${p.id}`).length === 0) throw forbidden();
    return { status: 200, body: { project: view.project(p) } };
  }
  requireAdmin(c);
  if (c.method === 'PATCH') return update(c, p);
  if (c.method === 'DELETE') {
    d.projects.splice(d.projects.indexOf(p), 1);
    d.assignments = d.assignments.filter((a) => a.project_id !== p.id);
    c.save();
    return { status: 204 };
  }
  throw methodNotAllowed();
}

const duplicate = (name: string) => conflict('project', `it is not permitted to have two projects with the same name in the same domain : ${name}`);

async function create(c: AdminContext): Promise<Reply> {
  requireAdmin(c);
  const b = await c.body('project');
  const name = str(b, 'name', { required: true, max: 64 })!;
  const description = str(b, 'description', { nullable: true, max: 65535 });
  const enabled = bool(b, 'enabled') ?? true;
  const domainId = str(b, 'domain_id') ?? 'default';
  if (b.is_domain === true) throw badRequest('Creating projects acting as domains is not supported here; use the Default domain.');
  if (!c.d.domains.some((x) => x.id === domainId)) throw notFound('domain', domainId);
  if (c.d.projects.some((x) => x.name === name && x.domain_id === domainId)) throw duplicate(name);
  const created: Project = { id: newId(), name, domain_id: domainId, enabled, description: description ?? '' };
  c.d.projects.push(created);
  c.save();
  return { status: 201, body: { project: c.view.project(created) } };
}

async function update(c: AdminContext, p: Project): Promise<Reply> {
  const b = await c.body('project');
  if (b.id !== undefined && b.id !== p.id) throw badRequest('Cannot change ID');
  if (b.domain_id !== undefined && b.domain_id !== p.domain_id) throw badRequest('Update of `domain_id` is not allowed.');
  const name = str(b, 'name', { max: 64 });
  const description = str(b, 'description', { nullable: true, max: 65535 });
  const enabled = bool(b, 'enabled');
  if (name !== undefined && name !== null && name !== p.name) {
    if (c.d.projects.some((x) => x.name === name && x.domain_id === p.domain_id)) throw duplicate(name);
    p.name = name;
  }
  if (description !== undefined) p.description = description ?? '';
  if (enabled !== undefined) p.enabled = enabled;
  c.save();
  return { status: 200, body: { project: c.view.project(p) } };
}

export function domainsApi(c: AdminContext, parts: string[]): Reply {
  const { d, view } = c;
  if (c.method !== 'GET' && c.method !== 'HEAD') {
    requireAdmin(c);
    throw forbidden('Only the Default domain exists in the embedded identity; domains cannot be created, changed or deleted.');
  }
  const [, id] = parts;
  if (id === undefined) {
    const visible = d.domains.filter((x) => (c.caller.admin || c.identity.rolesOn(c.caller.userId, `d:${x.id}`).length > 0) && matches(c.q, x));
    return { status: 200, body: { domains: visible.map(view.domain), links: c.links('/domains') } };
  }
  const x = d.domains.find((y) => y.id === id);
  if (!x || parts.length !== 2) throw notFound('domain', id);
  return { status: 200, body: { domain: view.domain(x) } };
}
