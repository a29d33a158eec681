// Two ways to send a fuzzed request to a loopback server: Node's HTTP client on a keep-alive
// agent (fast; for requests it can represent), and raw bytes on a fresh TCP connection (any
// request line, header bytes or framing, exactly as written).
import http from 'node:http';
import net from 'node:net';

export interface FuzzResponse {
  status: number;
  /** Header names lower-cased; a repeated header keeps every value. */
  headers: Record<string, string[]>;
  body: string;
}

export interface FuzzRequest {
  method: string;
  /** The request target as sent (path and query). */
  target: string;
  /** Header fields in order; names may repeat. */
  headers: [string, string][];
  body?: string;
}

/** The first value of a header, or undefined. */
export function header(res: FuzzResponse, name: string): string | undefined {
  return res.headers[name.toLowerCase()]?.[0];
}

// Node's client refuses these in a request target or header value (ERR_UNESCAPED_CHARACTERS,
// ERR_INVALID_CHAR): such requests go out raw instead.
const CLIENT_SAFE_TARGET = /^\/[\x21-\x7e]*$/;
const CLIENT_SAFE_VALUE = /^[\t\x20-\x7e]*$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether Node's HTTP client can send the request byte for byte. */
export function isClientSafe(req: FuzzRequest): boolean {
  return (
    TOKEN.test(req.method) &&
    CLIENT_SAFE_TARGET.test(req.target) &&
    req.headers.every(([name, value]) => TOKEN.test(name) && CLIENT_SAFE_VALUE.test(value)) &&
    !req.headers.some(([name]) => /^(content-length|transfer-encoding|host|connection)$/i.test(name))
  );
}

/** Sends with Node's client on `agent` (keep-alive). */
export function sendWithClient(
  base: { host: string; port: number },
  req: FuzzRequest,
  agent: http.Agent,
): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const headers = [...req.headers.flat(), 'Host', `${base.host}:${base.port}`];
    if (req.body !== undefined) headers.push('Content-Length', String(Buffer.byteLength(req.body)));
    const outgoing = http.request(
      { host: base.host, port: base.port, method: req.method, path: req.target, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const grouped: Record<string, string[]> = {};
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            const name = (res.rawHeaders[i] ?? '').toLowerCase();
            (grouped[name] ??= []).push(res.rawHeaders[i + 1] ?? '');
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: grouped,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** Decodes a chunked body (RFC 9112 §7.1), without trailers. */
function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(raw.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Parses one HTTP/1.1 response read to the end of the connection. */
export function parseResponse(raw: Buffer): FuzzResponse {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no complete response head in ${JSON.stringify(raw.toString('latin1'))}`);
  const [statusLine = '', ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (match === null) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  let body = raw.subarray(split + 4);
  if (headers['transfer-encoding']?.[0]?.toLowerCase() === 'chunked') body = dechunk(body);
  const length = headers['content-length']?.[0];
  if (length !== undefined) body = body.subarray(0, Number(length));
  return { status: Number(match[1]), headers, body: body.toString('utf8') };
}

/** What {@link sendRaw} resolves with when the server closed the connection without a byte. */
export const DROPPED: FuzzResponse = Object.freeze({ status: 0, headers: {}, body: '' });

/**
 * Writes `bytes` on a fresh connection and reads until the server closes it: the request must
 * carry `Connection: close` (or be one the server refuses, which closes it too). Resolves with
 * {@link DROPPED} when the server closed the connection without answering.
 */
export function sendRaw(port: number, bytes: Buffer): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let failure: Error | undefined;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may answer and close before it has read everything (a request it refuses):
    // a reset after a complete answer still counts as that answer.
    socket.on('error', (err) => {
      failure = err;
    });
    socket.on('close', () => {
      if (failure?.message.startsWith('no answer')) {
        reject(failure);
        return;
      }
      if (chunks.length === 0 && failure === undefined) {
        resolve(DROPPED);
        return;
      }
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (err) {
        reject(failure ?? (err as Error));
      }
    });
    // A server that neither answers nor closes is a finding, reported with the request (a hang
    // detector, not a speed limit: a healthy answer takes milliseconds).
    socket.setTimeout(10_000, () => {
      failure = new Error(
        `no answer and no close within 10 s after ${chunks.length} chunk(s) to ${JSON.stringify(bytes.toString('latin1').slice(0, 300))}`,
      );
      socket.destroy();
    });
    // Not end(): Node's server drops a pending answer once the client half-closes.
    socket.on('connect', () => {
      socket.write(bytes);
    });
  });
}

/**
 * The request as raw HTTP/1.1 bytes (UTF-8), with `Host`, `Connection: close` and a
 * Content-Length. CR and LF are dropped from the request target and header fields: they would
 * split the request into others (request smuggling is not what these fuzzers test), and a
 * second request on the connection would hold it open.
 */
export function toRawBytes(req: FuzzRequest, host: string | undefined): Buffer {
  const clean = (text: string) => text.replace(/[\r\n]/g, '');
  const lines = [`${clean(req.method)} ${clean(req.target)} HTTP/1.1`];
  if (host !== undefined) lines.push(`Host: ${clean(host)}`);
  for (const [name, value] of req.headers) lines.push(`${clean(name)}: ${clean(value)}`);
  lines.push('Connection: close');
  if (req.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(req.body)}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), Buffer.from(req.body ?? '')]);
}
