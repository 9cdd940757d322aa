// /v3/users: list (with ?name= for the CLIs' name lookup), show, create, update, delete,
// change one's own password, and a user's projects. Deleting a user removes their role
// assignments, so their tokens stop validating at once (roles are read at validation).
import { requireAdmin, bool, matches, newId, str, type AdminContext } from './admin-context.ts';
import { methodNotAllowed, type Reply } from './http-io.ts';
import { badRequest, conflict, forbidden, notAuthenticated, notFound } from './keystone-error.ts';
import { hashPassword, verifyPassword } from './password.ts';
import type { User } from './store.ts';

/** Properties Keystone gives a meaning; any other one is kept as is (email, description...). */
const KNOWN = new Set(['id', 'name', 'domain_id', 'enabled', 'password', 'default_project_id', 'options', 'links', 'password_expires_at', 'federated']);

export async function usersApi(c: AdminContext, parts: string[]): Promise<Reply> {
  const { d, view } = c;
  const [, id, sub] = parts;
  if (id === undefined) {
    if (c.method === 'POST') return create(c);
    if (c.method !== 'GET' && c.method !== 'HEAD') throw methodNotAllowed();
    requireAdmin(c);
    return { status: 200, body: { users: d.users.filter((u) => matches(c.q, u)).map(view.user), links: c.links('/users') } };
  }
  const u = d.users.find((x) => x.id === id);
  if (sub === 'password' && parts.length === 3 && c.method === 'POST') return changePassword(c, id, u);
  if (!u) throw notFound('user', id);
  if (!c.caller.admin && u.id !== c.caller.userId) throw forbidden();
  if (sub === 'projects' && parts.length === 3) {
    const projects = d.projects.filter((p) => c.identity.rolesOn(u.id, `p:${p.id}`).length > 0);
    return { status: 200, body: { projects: projects.map(view.project), links: c.links(`/users/${u.id}/projects`) } };
  }
  // Groups are not kept: every user is in none.
  if (sub === 'groups' && parts.length === 3) return { status: 200, body: { groups: [], links: c.links(`/users/${u.id}/groups`) } };
  if (parts.length !== 2) throw notFound('user', id);
  if (c.method === 'GET' || c.method === 'HEAD') return { status: 200, body: { user: view.user(u) } };
  requireAdmin(c);
  if (c.method === 'PATCH') return update(c, u);
  if (c.method === 'DELETE') {
    d.users.splice(d.users.indexOf(u), 1);
    d.assignments = d.assignments.filter((a) => a.user_id !== u.id);
    c.save();
    return { status: 204 };
  }
  throw methodNotAllowed();
}

async function create(c: AdminContext): Promise<Reply> {
  requireAdmin(c);
  const b = await c.body('user');
  const name = str(b, 'name', { required: true })!;
  const domainId = str(b, 'domain_id') ?? 'default';
  if (!c.d.domains.some((x) => x.id === domainId)) throw notFound('domain', domainId);
  const password = str(b, 'password', { nullable: true, max: 4096 });
  const project = defaultProject(b);
  const enabled = bool(b, 'enabled') ?? true;
  if (c.d.users.some((x) => x.name === name && x.domain_id === domainId)) throw conflict('user', `Duplicate entry found with name ${name} at domain ID ${domainId}`);
  const user: User = {
    id: newId(), name, domain_id: domainId, enabled,
    // A user created without a password cannot authenticate with one (Keystone: password NULL).
    password_hash: typeof password === 'string' ? await hashPassword(password) : '',
    ...(project ? { default_project_id: project } : {}),
    ...extra(b),
  };
  // Checked again after hashing: another request may have taken the name meanwhile.
  if (c.d.users.some((x) => x.name === name && x.domain_id === domainId)) throw conflict('user', `Duplicate entry found with name ${name} at domain ID ${domainId}`);
  c.d.users.push(user);
  c.save();
  return { status: 201, body: { user: c.view.user(user) } };
}

async function update(c: AdminContext, u: User): Promise<Reply> {
  const b = await c.body('user');
  if (b.id !== undefined && b.id !== u.id) throw badRequest('Cannot change ID');
  if (b.domain_id !== undefined && b.domain_id !== u.domain_id) throw badRequest('Cannot change Domain ID');
  const name = str(b, 'name');
  const password = str(b, 'password', { nullable: true, max: 4096 });
  const enabled = bool(b, 'enabled');
  const project = defaultProject(b);
  // Hashed before the checks, so that nothing awaits between checking and changing.
  const hash = typeof password === 'string' ? await hashPassword(password) : '';
  if (name != null && name !== u.name && c.d.users.some((x) => x.name === name && x.domain_id === u.domain_id)) {
    throw conflict('user', `Duplicate entry found with name ${name} at domain ID ${u.domain_id}`);
  }
  if (password !== undefined) u.password_hash = hash;
  // Keystone revokes a user's tokens when the password is set or `enabled` changes.
  if (password !== undefined || (enabled !== undefined && enabled !== u.enabled)) revokeTokens(u);
  if (name !== undefined && name !== null) u.name = name;
  if (enabled !== undefined) u.enabled = enabled;
  if (project !== undefined) { if (project) u.default_project_id = project; else delete u.default_project_id; }
  const more = extra(b).extra;
  if (more) u.extra = { ...u.extra, ...more };
  c.save();
  return { status: 200, body: { user: c.view.user(u) } };
}

/** POST /v3/users/{id}/password: the user themself, with the current password. */
async function changePassword(c: AdminContext, id: string, u: User | undefined): Promise<Reply> {
  const b = await c.body('user');
  const original = str(b, 'original_password', { required: true, max: 4096 })!;
  const password = str(b, 'password', { required: true, max: 4096 })!;
  if (c.caller.userId !== id) throw forbidden();
  if (!u || !(await verifyPassword(original, u.password_hash))) throw notAuthenticated('Error when changing user password: The request you have made requires authentication.');
  u.password_hash = await hashPassword(password);
  revokeTokens(u); // the caller's own token too: they log in again with the new password
  c.save();
  return { status: 204 };
}

/** Like Keystone, an unknown default project is accepted (it only matters for unscoped logins). */
function defaultProject(b: Record<string, unknown>): string | null | undefined {
  return str(b, 'default_project_id', { nullable: true, max: 64 });
}

function revokeTokens(u: User): void {
  u.token_generation = (u.token_generation ?? 0) + 1;
}

function extra(b: Record<string, unknown>): { extra?: Record<string, unknown> } {
  const e = Object.fromEntries(Object.entries(b).filter(([k]) => !KNOWN.has(k)));
  return Object.keys(e).length ? { extra: e } : {};
}
