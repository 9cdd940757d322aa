// What keystonemiddleware answers in front of Neutron when it cannot let a request
// through (anchors/error-samples.json rows 242-243 for the 401).
import { HttpReplyError } from '../errors/http-reply.ts';

/** Missing, invalid, expired or revoked token. */
export function unauthorized(wwwAuthenticateUri: string | null, why = 'authentication required'): HttpReplyError {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (wwwAuthenticateUri) headers['WWW-Authenticate'] = `Keystone uri="${wwwAuthenticateUri}"`;
  return new HttpReplyError(401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }, headers, why);
}

/** Keystone cannot be reached (or answers 5xx): keystonemiddleware's ServiceError, rendered by webob as JSON. */
export function keystoneUnavailable(why: string): HttpReplyError {
  return new HttpReplyError(503, {
    message: 'The server is currently unavailable. Please try again at a later time.<br /><br />\nThe Keystone service is temporarily unavailable.\n\n',
    code: '503 Service Unavailable',
    title: 'Service Unavailable',
  }, { 'Content-Type': 'application/json' }, `Keystone unavailable: ${why}`);
}
