// Request paths as the apiserver's installer lays them out: /api/v1/... and /apis/<group>/<version>/...,
// namespaced or cluster-scoped, with an optional name and subresource; and the RBAC verb of a request.
import { findResourceType, type ResourceType } from '../store/types.js';

export interface Route {
  group: string;
  version: string;
  type?: ResourceType;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function parseRoute(pathname: string): Route | undefined {
  const seg = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api' && seg.length >= 3) {
    group = '';
    version = seg[1]!;
    rest = seg.slice(2);
  } else if (seg[0] === 'apis' && seg.length >= 4) {
    group = seg[1]!;
    version = seg[2]!;
    rest = seg.slice(3);
  } else return undefined;
  let route: Route;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    route = { group, version, namespace: rest[1], resource: rest[2]!, name: rest[3], subresource: rest[4] };
  } else {
    route = { group, version, resource: rest[0]!, name: rest[1], subresource: rest[2] };
  }
  const type = findResourceType(group, route.resource);
  route.type = type && type.version === version ? type : undefined;
  return route;
}

export function verbOf(method: string, route: Route, query: URLSearchParams): string {
  if (route.subresource === 'exec' || route.subresource === 'attach') return 'create';
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  switch (method) {
    case 'GET':
      return route.name ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}
