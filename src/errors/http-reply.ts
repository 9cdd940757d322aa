// An error that carries its exact HTTP answer, for the few replies that are not
// NeutronErrors on the wire: in Neutron they come from middleware in front of the
// API (keystonemiddleware's 401 `{"error": {...}}` and webob's 503).
export class HttpReplyError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;

  constructor(status: number, body: unknown, headers: Record<string, string> = {}, message = `HTTP ${status}`) {
    super(message);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}
