// Reading a request body with a size limit that still answers: past the limit the
// rest of the body is read and thrown away (up to a bound) instead of the socket
// being destroyed, so the client receives the 413 rather than a reset.

export class BodyTooLarge extends Error {
  readonly max: number;
  constructor(max: number) { super(`request body larger than ${max} bytes`); this.max = max; }
}
export class BodyUnreadable extends Error {}

/** Past the limit, this much more is drained before the connection is given up on. */
const DRAIN_BYTES = 64 * 1024 * 1024;

type Readable = NodeJS.ReadableStream & { destroy(): void; readableEnded: boolean };

/** The body as UTF-8 text; BodyTooLarge past `max` bytes (the body is drained meanwhile). */
export function readBodyText(req: Readable, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (over) {
        // The 413 went out long before: a client still sending this much is not listening.
        if (size > max + DRAIN_BYTES) req.destroy();
        return;
      }
      if (size > max) {
        over = true;
        chunks.length = 0;
        reject(new BodyTooLarge(max));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => { if (!over) resolve(Buffer.concat(chunks).toString('utf8')); });
    req.on('error', () => reject(new BodyUnreadable('request body could not be read')));
  });
}
