// /v3/services, /v3/endpoints and /v3/regions, as `openstack service/endpoint/region
// create|list|show|set|delete` use them. Reads of services and endpoints and every change
// are admin only; regions are readable by anyone authenticated (Keystone's defaults).
// The built-in identity and network entries (catalog.ts) are listed but read only; an
// endpoint created on a built-in service registers that service, which then replaces
// the built-in one with the operator's endpoints.
import { bool, newId, requireAdmin, str, type AdminContext } from './admin-context.ts';
import { catalogEntries } from './catalog.ts';
import { methodNotAllowed, type Reply } from './http-io.ts';
import { badRequest, conflict, forbidden, KeystoneError, notFound } from './keystone-error.ts';
import type { Endpoint, Service } from './store.ts';

const INTERFACES = ['public', 'internal', 'admin'];

const builtinForbidden = (what: string) => forbidden(`The ${what} is built in (it points at this Muon server); register a service of the same type with \`openstack service create\` to replace it.`);

export async function servicesApi(c: AdminContext, parts: string[]): Promise<Reply> {
  const { d, view } = c;
  requireAdmin(c);
  const [, id] = parts;
  const all = catalogEntries(d, c.catalogUrls());
  if (id === undefined) {
    if (c.method === 'POST') {
      const b = await c.body('service');
      const type = str(b, 'type', { required: true })!;
      const name = str(b, 'name');
      const description = str(b, 'description');
      const s: Service = { id: newId(), type, enabled: bool(b, 'enabled') ?? true, ...(name != null ? { name } : {}), ...(description != null ? { description } : {}) };
      d.services.push(s);
      c.save();
      return { status: 201, body: { service: view.service(s) } };
    }
    if (c.method !== 'GET' && c.method !== 'HEAD') throw methodNotAllowed();
    const q = c.q;
    const list = all.services.filter((s) => (!q.has('type') || s.type === q.get('type')) && (!q.has('name') || s.name === q.get('name')));
    return { status: 200, body: { services: list.map(view.service), links: c.links('/services') } };
  }
  const s = all.services.find((x) => x.id === id);
  if (!s || parts.length !== 2) throw notFound('service', id);
  if (c.method === 'GET' || c.method === 'HEAD') return { status: 200, body: { service: view.service(s) } };
  if (all.builtin.has(s.id)) throw builtinForbidden(`${s.type} service`);
  if (c.method === 'PATCH') {
    const b = await c.body('service');
    const type = str(b, 'type'), name = str(b, 'name'), description = str(b, 'description'), enabled = bool(b, 'enabled');
    if (type != null) s.type = type;
    if (name != null) s.name = name;
    if (description != null) s.description = description;
    if (enabled !== undefined) s.enabled = enabled;
    c.save();
    return { status: 200, body: { service: view.service(s) } };
  }
  if (c.method === 'DELETE') {
    // Keystone deletes a service's endpoints with it.
    d.services = d.services.filter((x) => x.id !== s.id);
    d.endpoints = d.endpoints.filter((e) => e.service_id !== s.id);
    c.save();
    return { status: 204 };
  }
  throw methodNotAllowed();
}

export async function endpointsApi(c: AdminContext, parts: string[]): Promise<Reply> {
  const { d, view } = c;
  requireAdmin(c);
  const [, id] = parts;
  const all = catalogEntries(d, c.catalogUrls());
  if (id === undefined) {
    if (c.method === 'POST') {
      const b = await c.body('endpoint');
      const e: Endpoint = { id: newId(), service_id: '', interface: '', url: '', region_id: null, enabled: true };
      await fill(c, e, b, true);
      const service = all.services.find((s) => s.id === e.service_id)!;
      // Registering an endpoint for a built-in service makes the service the operator's.
      if (all.builtin.has(service.id)) d.services.push({ ...service });
      d.endpoints.push(e);
      c.save();
      return { status: 201, body: { endpoint: view.endpoint(e) } };
    }
    if (c.method !== 'GET' && c.method !== 'HEAD') throw methodNotAllowed();
    const q = c.q;
    const region = q.get('region_id') ?? q.get('region');
    const list = all.endpoints.filter((e) => (!q.has('service_id') || e.service_id === q.get('service_id'))
      && (!q.has('interface') || e.interface === q.get('interface')) && (region === null || e.region_id === region));
    return { status: 200, body: { endpoints: list.map(view.endpoint), links: c.links('/endpoints') } };
  }
  const e = all.endpoints.find((x) => x.id === id);
  if (!e || parts.length !== 2) throw notFound('endpoint', id);
  if (c.method === 'GET' || c.method === 'HEAD') return { status: 200, body: { endpoint: view.endpoint(e) } };
  if (all.builtin.has(e.id)) throw builtinForbidden(`${all.services.find((s) => s.id === e.service_id)?.type} endpoint`);
  if (c.method === 'PATCH') {
    const next = { ...e };
    await fill(c, next, await c.body('endpoint'), false);
    if (all.builtin.has(next.service_id)) throw builtinForbidden('service');
    Object.assign(e, next);
    c.save();
    return { status: 200, body: { endpoint: view.endpoint(e) } };
  }
  if (c.method === 'DELETE') {
    d.endpoints = d.endpoints.filter((x) => x.id !== e.id);
    c.save();
    return { status: 204 };
  }
  throw methodNotAllowed();
}

/** Checks and copies an endpoint body: service_id, interface, url (required on create), region_id or region, enabled. */
async function fill(c: AdminContext, e: Endpoint, b: Record<string, unknown>, creating: boolean): Promise<void> {
  const serviceId = str(b, 'service_id', { required: creating, max: 64 });
  const iface = str(b, 'interface', { required: creating, max: 10 });
  const url = str(b, 'url', { required: creating, max: 225 });
  const regionId = str(b, 'region_id', { nullable: true });
  const region = str(b, 'region', { nullable: true });
  const enabled = bool(b, 'enabled');
  if (iface != null && !INTERFACES.includes(iface)) throw badRequest(`Invalid input for field 'interface': '${iface}' is not one of ['admin', 'internal', 'public']`);
  if (url != null && !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(url)) throw badRequest(`Invalid input for field 'url': '${url}' is not a URL (scheme://host[:port][/path])`);
  if (serviceId != null) {
    if (!catalogEntries(c.d, c.catalogUrls()).services.some((s) => s.id === serviceId)) throw validation('endpoint service_id', 'service table');
    e.service_id = serviceId;
  }
  if (regionId !== undefined) {
    if (regionId !== null && !c.d.regions.some((r) => r.id === regionId)) throw validation('endpoint region_id', 'region table');
    e.region_id = regionId;
  } else if (region !== undefined) {
    // The v2-style `region` (keystoneclient sends it): Keystone creates a region it does not know.
    if (region !== null && !c.d.regions.some((r) => r.id === region)) c.d.regions.push({ id: region, description: '', parent_region_id: null });
    e.region_id = region;
  }
  if (iface != null) e.interface = iface;
  if (url != null) e.url = url;
  if (enabled !== undefined) e.enabled = enabled;
}

const validation = (attribute: string, target: string) => new KeystoneError(400, 'Bad Request',
  `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`);

export async function regionsApi(c: AdminContext, parts: string[]): Promise<Reply> {
  const { d, view } = c;
  const [, id] = parts;
  if (id === undefined && c.method === 'POST') return createRegion(c, undefined);
  if (id === undefined) {
    if (c.method !== 'GET' && c.method !== 'HEAD') throw methodNotAllowed();
    const parent = c.q.get('parent_region_id');
    return { status: 200, body: { regions: d.regions.filter((r) => parent === null || r.parent_region_id === parent).map(view.region), links: c.links('/regions') } };
  }
  if (parts.length !== 2) throw notFound('region', id);
  if (c.method === 'PUT') return createRegion(c, id);
  const r = d.regions.find((x) => x.id === id);
  if (!r) throw notFound('region', id);
  if (c.method === 'GET' || c.method === 'HEAD') return { status: 200, body: { region: view.region(r) } };
  requireAdmin(c);
  if (c.method === 'PATCH') {
    const b = await c.body('region');
    const description = str(b, 'description', { nullable: true });
    const parentId = str(b, 'parent_region_id', { nullable: true });
    if (parentId != null) checkParent(c, parentId, r.id);
    if (description !== undefined) r.description = description ?? '';
    if (parentId !== undefined) r.parent_region_id = parentId;
    c.save();
    return { status: 200, body: { region: view.region(r) } };
  }
  if (c.method === 'DELETE') {
    if (d.regions.some((x) => x.parent_region_id === r.id)) throw forbidden(`Unable to delete region ${r.id}: it has child regions; delete them first.`);
    if (catalogEntries(d, c.catalogUrls()).endpoints.some((e) => e.region_id === r.id)) {
      throw forbidden(`Unable to delete region ${r.id} because it or its child regions have associated endpoints.`);
    }
    d.regions.splice(d.regions.indexOf(r), 1);
    c.save();
    return { status: 204 };
  }
  throw methodNotAllowed();
}

/** POST /v3/regions (an id of Muon's choosing unless given) and PUT /v3/regions/{id}. */
async function createRegion(c: AdminContext, pathId: string | undefined): Promise<Reply> {
  requireAdmin(c);
  const b = await c.body('region');
  const bodyId = str(b, 'id');
  if (pathId !== undefined && bodyId != null && bodyId !== pathId) throw badRequest('Conflicting region IDs specified: "' + pathId + '" v. "' + bodyId + '"');
  const id = pathId ?? bodyId ?? newId();
  const description = str(b, 'description', { nullable: true }) ?? '';
  const parentId = str(b, 'parent_region_id', { nullable: true }) ?? null;
  // Keystone's message ends in two full stops: its detail has one and the format adds another.
  if (c.d.regions.some((r) => r.id === id)) throw conflict('region', `Duplicate ID, ${id}.`);
  if (parentId !== null) checkParent(c, parentId, id);
  const region = { id, description, parent_region_id: parentId };
  c.d.regions.push(region);
  c.save();
  return { status: 201, body: { region: c.view.region(region) } };
}

function checkParent(c: AdminContext, parentId: string, id: string): void {
  if (!c.d.regions.some((r) => r.id === parentId)) throw validation('parent region ' + parentId, 'region table');
  // A region cannot be its own ancestor.
  for (let p: string | null = parentId; p !== null; p = c.d.regions.find((r) => r.id === p)?.parent_region_id ?? null) {
    if (p === id) throw badRequest(`Circular reference in the region hierarchy: ${id} cannot have ${parentId} as its parent.`);
  }
}
