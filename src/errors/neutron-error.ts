// The one error type the API renders. `type` and `message` are part of the wire
// contract: clients (and tempest) match on them, so they copy Neutron's exactly.
export class NeutronError extends Error {
  readonly status: number;
  readonly type: string;
  readonly detail: string;
  /** Extra response headers (e.g. WWW-Authenticate on 401). */
  readonly headers: Record<string, string> | undefined;

  constructor(status: number, type: string, message: string, headers?: Record<string, string>) {
    super(message);
    this.name = type;
    this.status = status;
    this.type = type;
    this.detail = '';
    this.headers = headers;
  }

  toBody(): { NeutronError: { type: string; message: string; detail: string } } {
    return { NeutronError: { type: this.type, message: this.message, detail: this.detail } };
  }
}

export function isNeutronError(e: unknown): e is NeutronError {
  return e instanceof NeutronError;
}
