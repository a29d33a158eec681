import type { FetchLike } from '../fetch-like.ts';

/** How `doctor` talks to the provider: the app's fetch, with a time limit per request. */
export interface ProbeHttp {
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
}

/** A request that never got an HTTP answer. */
export interface NetworkFailure {
  readonly ok: false;
  /** e.g. "connection refused", "no answer within 10 s". */
  readonly reason: string;
}

/** An HTTP answer, its body read as text (bounded). */
export interface HttpAnswer {
  readonly ok: true;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** Bodies beyond this are cut: discovery documents and JWKS are a few kilobytes. */
const MAX_BODY_CHARS = 1_000_000;

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Says in a few words why a request got no answer (undici puts the system error in `cause`). */
export function describeNetworkFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  }
  const code = errorCode(err);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens there: the provider is down or the URL is wrong)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found (check the URL and the network)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed without an answer';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'the connection timed out';
    case undefined:
      break;
    default:
      if (/CERT|SSL|TLS|SELF_SIGNED/i.test(code)) return `TLS certificate problem (${code})`;
      return `network error (${code})`;
  }
  return `network error (${err instanceof Error ? err.message : String(err)})`;
}

/** GET (or POST) with a time limit; never throws. */
export async function request(
  http: ProbeHttp,
  url: string,
  init: RequestInit = {},
): Promise<HttpAnswer | NetworkFailure> {
  try {
    const response = await http.fetch(url, { ...init, signal: AbortSignal.timeout(http.timeoutMs) });
    const text = await response.text();
    return {
      ok: true,
      status: response.status,
      headers: response.headers,
      body: text.length > MAX_BODY_CHARS ? text.slice(0, MAX_BODY_CHARS) : text,
    };
  } catch (err) {
    return { ok: false, reason: describeNetworkFailure(err, http.timeoutMs) };
  }
}

/** The outcome of reading a JSON document the provider must serve. */
export type JsonDocument =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly problem: string };

/** Fetches a JSON object; a problem is worded "<url> <what went wrong>". */
export async function fetchJsonObject(http: ProbeHttp, url: string): Promise<JsonDocument> {
  const answer = await request(http, url, { headers: { accept: 'application/json' } });
  if (!answer.ok) return { ok: false, problem: `${url} cannot be reached: ${answer.reason}` };
  const type = answer.headers.get('content-type') ?? '';
  if (answer.status < 200 || answer.status > 299) {
    return {
      ok: false,
      problem: `${url} answered HTTP ${answer.status}${/html/i.test(type) ? ' with an HTML page' : ''}`,
    };
  }
  const looksHtml = /html/i.test(type) || /^\s*</.test(answer.body);
  let value: unknown;
  try {
    value = JSON.parse(answer.body);
  } catch {
    return {
      ok: false,
      problem: looksHtml
        ? `${url} answered an HTML page, not JSON`
        : `${url} answered something that is not valid JSON`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: `${url} answered JSON that is not an object` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
