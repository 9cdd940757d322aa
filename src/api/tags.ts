// Routes for /v2.0/{resources}/{id}/tags[/{tag}].
import type { Deps } from '../services/deps.ts';
import type { RequestContext } from '../domain/policy/context.ts';
import type { ResourceDef } from './resource.ts';
import { HTTPBadRequest, HTTPMethodNotAllowed } from '../errors/catalog.ts';
import * as tags from '../services/tags.ts';

export async function handleTags(
  deps: Deps, ctx: RequestContext, def: ResourceDef<any>, method: string, id: string, tag: string | undefined, body: () => Promise<unknown>,
): Promise<{ status: number; body?: unknown }> {
  const obj = def.render(await def.get(deps, ctx, id)); // 404 when not visible
  const t: tags.Tagged = { resource: def.singular, id, projectId: obj.project_id as string };
  if (tag === undefined) {
    switch (method) {
      case 'GET': return { status: 200, body: { tags: await tags.getTags(deps, t) } };
      case 'PUT': {
        const b = (await body()) as { tags?: unknown } | undefined;
        if (!b || !Array.isArray(b.tags)) throw HTTPBadRequest("Invalid input for tags. Reason: 'tags' must be a list.");
        return { status: 200, body: { tags: await tags.replaceTags(deps, ctx, t, b.tags as string[]) } };
      }
      case 'DELETE': await tags.removeAllTags(deps, ctx, t); return { status: 204 };
      default: throw HTTPMethodNotAllowed();
    }
  }
  switch (method) {
    case 'GET': await tags.hasTag(deps, t, tag); return { status: 204 };
    case 'PUT': await tags.addTag(deps, ctx, t, tag); return { status: 201 };
    case 'DELETE': await tags.removeTag(deps, ctx, t, tag); return { status: 204 };
    default: throw HTTPMethodNotAllowed();
  }
}
