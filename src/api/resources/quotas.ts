// /v2.0/quotas (quotas, quota_details, quota-check-limit): GET list, GET/PUT/DELETE
// /quotas/{project}, GET /quotas/{project}/default and /details, GET /quotas/project.
import type { SubRoute } from '../app.ts';
import { toBoolean, toInt, validRange, type AttrMap } from '../attributes.ts';
import { extractUpdate, prepareUpdate } from '../body.ts';
import { HTTPMethodNotAllowed, HTTPNotFound, HTTPNotImplemented, HTTPBadRequest } from '../../errors/catalog.ts';
import * as svc from '../../services/quota-admin.ts';

const DB_INTEGER_MAX_VALUE = 2 ** 31 - 1;

/** Built per request: the registered resources grow as features add their tables. */
function quotaAttributes(): AttrMap {
  const attrs: AttrMap = {};
  for (const r of svc.quotaResources()) {
    attrs[r] = { allowPost: false, allowPut: true, convert: toInt, validate: validRange(-1, DB_INTEGER_MAX_VALUE), visible: true };
  }
  return attrs;
}

export const quotasRoute: SubRoute = {
  async handle(deps, ctx, method, parts, _url, body) {
    const [, project, action, extra] = parts;
    if (extra !== undefined) throw HTTPNotFound();
    if (project === undefined) {
      if (method === 'GET') return { status: 200, body: { quotas: await svc.listQuotas(deps, ctx) } };
      if (method === 'POST') throw HTTPNotImplemented('POST requests are not supported on this resource.');
      throw HTTPMethodNotAllowed();
    }
    // Collection actions: the caller's own project id (tenant is the deprecated spelling).
    if ((project === 'project' || project === 'tenant') && action === undefined && method === 'GET') {
      if (!ctx.projectId) throw HTTPBadRequest('Tenant-id was missing from quota request.');
      return { status: 200, body: { [project]: { [`${project}_id`]: ctx.projectId } } };
    }
    if (action === 'default') {
      if (method !== 'GET') throw HTTPMethodNotAllowed();
      return { status: 200, body: { quota: svc.defaultQuota(deps, ctx, project) } };
    }
    if (action === 'details') {
      if (method !== 'GET') throw HTTPMethodNotAllowed();
      return { status: 200, body: { quota: await svc.quotaDetails(deps, ctx, project) } };
    }
    if (action !== undefined) throw HTTPNotFound();
    switch (method) {
      case 'GET':
        return { status: 200, body: { quota: await svc.showQuota(deps, ctx, project) } };
      case 'PUT': {
        svc.authorizeQuotaUpdate(deps, ctx);
        const raw = extractUpdate(await body(), 'quota');
        // force / check_limit are flags, not resources (popped before validation, as Neutron does).
        const checkLimit = raw.check_limit === undefined || raw.check_limit === null ? false : toBoolean(raw.check_limit) as boolean;
        delete raw.check_limit;
        delete raw.force;
        const limits = prepareUpdate(raw, quotaAttributes(), ctx) as Record<string, number>;
        return { status: 200, body: { quota: await svc.updateQuota(deps, ctx, project, limits, checkLimit) } };
      }
      case 'DELETE':
        await svc.deleteQuota(deps, ctx, project);
        return { status: 204 };
      default:
        throw HTTPMethodNotAllowed();
    }
  },
};
