// Keystone's error bodies: {"error": {"code", "message", "title"}}.
export class KeystoneError extends Error {
  readonly status: number;
  readonly title: string;
  constructor(status: number, title: string, message: string) {
    super(message);
    this.status = status;
    this.title = title;
  }
  toBody(): unknown {
    return { error: { code: this.status, message: this.message, title: this.title } };
  }
}

export const notAuthenticated = (why = 'The request you have made requires authentication.') => new KeystoneError(401, 'Unauthorized', why);
export const badRequest = (why: string) => new KeystoneError(400, 'Bad Request', why);
export const forbidden = (why = 'You are not authorized to perform the requested action.') => new KeystoneError(403, 'Forbidden', why);
export const notFound = (what: string, id: string) => new KeystoneError(404, 'Not Found', `Could not find ${what}: ${id}.`);
/** Keystone's 409: "Conflict occurred attempting to store user - Duplicate entry found with name x at domain ID default." */
export const conflict = (type: string, details: string) => new KeystoneError(409, 'Conflict', `Conflict occurred attempting to store ${type} - ${details}.`);
