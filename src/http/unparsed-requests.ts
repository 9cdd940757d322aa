// Requests that never reach the request handler still get an answer in the
// server's own error format: those Node's HTTP parser rejects ('clientError',
// otherwise a bare 400 or just a closed socket) and CONNECT ('connect', which
// without a listener drops the connection without a word).
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** The JSON error body a server writes for `status` (NeutronError, Keystone's error, ...). */
export type ErrorBody = (status: number, message: string) => unknown;

const LINGER_MS = 5000;
const REASONS: Record<number, string> = { 400: 'Bad Request', 405: 'Method Not Allowed', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

/** What went wrong, in words a client can act on, from llhttp's error codes. */
function explain(code: string | undefined): { status: number; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW': return { status: 431, message: 'Request header fields too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT': return { status: 408, message: 'The request was not received in time' };
    case 'HPE_INVALID_METHOD': return { status: 400, message: 'Malformed request: unknown or invalid method' };
    case 'HPE_INVALID_URL': return { status: 400, message: 'Malformed request: invalid request target' };
    case 'HPE_INVALID_HEADER_TOKEN': return { status: 400, message: 'Malformed request: invalid character in a header' };
    case 'HPE_INVALID_CONTENT_LENGTH': case 'HPE_UNEXPECTED_CONTENT_LENGTH': return { status: 400, message: 'Malformed request: invalid Content-Length' };
    case 'HPE_INVALID_TRANSFER_ENCODING': case 'HPE_INVALID_CHUNK_SIZE': return { status: 400, message: 'Malformed request: invalid chunked body' };
    case 'HPE_INVALID_VERSION': return { status: 400, message: 'Malformed request: invalid HTTP version' };
    default: return { status: 400, message: `Malformed request${code ? ` (${code})` : ''}` };
  }
}

function writeError(socket: Socket, status: number, message: string, body: ErrorBody): void {
  if (!socket.writable) { socket.destroy(); return; }
  const payload = JSON.stringify(body(status, message));
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`);
  // This socket is ours now, not the HTTP server's: read (and drop) what the client still
  // sends until it closes, so that it gets the answer rather than a reset; give up after a while.
  socket.resume();
  socket.setTimeout(LINGER_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
}

export function answerUnparsedRequests(server: Server, body: ErrorBody): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A client that went away gets nothing; nor does one whose answer has started already.
    if (err.code === 'ECONNRESET' || (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) { socket.destroy(); return; }
    const { status, message } = explain(err.code);
    writeError(socket, status, message, body);
  });
  server.on('connect', (_req, socket: Socket) => {
    writeError(socket, 405, 'The CONNECT method is not supported', body);
  });
}
