import type { RequestHandler } from 'express';
import type { AuthFailure } from './auth/require-access-token.ts';

/** Receives one structured entry per event. Inject your own to capture logs in tests. */
export type Log = (entry: object) => void;

/** The default {@link Log}: one JSON line per entry on stdout. */
export const jsonLineLog: Log = (entry) => {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
};

/**
 * Anything shaped like a compact JWS/JWE. Nothing we log should contain one; this is the
 * safety net for a client that puts a token where we do log (the path, an error message).
 */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*){1,3}/g;

function redact(text: string): string {
  return text.replace(JWT_LIKE, '[redacted]');
}

/** One entry per request, written when the response is done. */
export interface RequestLogEntry {
  time: string;
  level: 'info' | 'warn' | 'error';
  method: string;
  /** The path without its query string: a query can hold secrets (RFC 6750 §5.3). */
  path: string;
  status: number;
  durationMs: number;
  /** The `error` code answered, if any. */
  error?: string;
  /** Why, for operators (never the token, never the Authorization header). */
  reason?: string;
}

/** Express middleware logging every request once, as a {@link RequestLogEntry}. */
export function logRequests(log: Log): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const { method, path } = req;
    res.once('close', () => {
      const failure = res.locals.authFailure as AuthFailure | undefined;
      const internalError = res.locals.internalError as string | undefined;
      const status = res.statusCode;
      const entry: RequestLogEntry = {
        time: new Date().toISOString(),
        level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
        method,
        path: redact(path),
        status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      };
      if (failure !== undefined) {
        entry.error = failure.error;
        entry.reason = redact(failure.reason);
      } else if (internalError !== undefined) {
        entry.error = 'server_error';
        entry.reason = redact(internalError);
      }
      log(entry);
    });
    next();
  };
}
