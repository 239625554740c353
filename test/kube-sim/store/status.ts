// Kubernetes `Status` objects: the body of every error the simulated API server returns.

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export class SimError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: { name?: string; kind?: string; group?: string; causes?: StatusCause[]; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return statusBody(this.code, this.reason, this.message, this.details);
  }
}

export function statusBody(code: number, reason: string, message: string, details?: SimError['details']): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: code < 400 ? 'Success' : 'Failure',
    message,
    reason,
    ...(details && Object.keys(details).length > 0 ? { details } : {}),
    code,
  };
}

export const notFound = (resource: string, name: string, group = ''): SimError => new SimError(404, 'NotFound', `${resource}${group ? '.' + group : ''} "${name}" not found`, { name, kind: resource, group: group || undefined });

export const alreadyExists = (resource: string, name: string, group = ''): SimError =>
  new SimError(409, 'AlreadyExists', `${resource}${group ? '.' + group : ''} "${name}" already exists`, { name, kind: resource, group: group || undefined });

export const conflict = (resource: string, name: string, group = ''): SimError =>
  new SimError(409, 'Conflict', `Operation cannot be fulfilled on ${resource}${group ? '.' + group : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, kind: resource });

export const badRequest = (message: string): SimError => new SimError(400, 'BadRequest', message);

export const gone = (message: string): SimError => new SimError(410, 'Expired', message);
