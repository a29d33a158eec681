import { pino } from 'pino';
import type { DestinationStream, Level, Logger } from 'pino';
import type { RequestHandler, Response } from 'express';
import type { AuthFailure } from './auth/require-access-token.ts';

/** `LOG_LEVEL`: pino's levels, and `silent` for no log at all. */
export type LogLevel = Level | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** One entry per request, written when the response is done (pino adds `time` and `level`). */
export interface RequestLogEntry {
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

/** Receives each entry as written, parsed (`time` and `level` included). */
export type Log = (entry: Record<string, unknown>) => void;

/** A destination that hands each line, parsed, to `log` (tests; `() => {}` for none). */
export function logDestination(log: Log): DestinationStream {
  return { write: (line: string) => log(JSON.parse(line) as Record<string, unknown>) };
}

export interface CreateLoggerOptions {
  level: LogLevel;
  /**
   * Where the lines go. Default: stdout, written asynchronously (pino's `sync: false`
   * destination), so no request waits for the pipe; call `flushSync()` on it before exiting.
   */
  destination?: DestinationStream;
}

/**
 * Anything shaped like a compact JWS/JWE. Nothing we log should contain one; this is the
 * safety net for a client that puts a token where we do log (the path, an error message).
 */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*){1,3}/g;

function redactJwts(text: string): string {
  return text.replace(JWT_LIKE, '[redacted]');
}

/**
 * The API's logger: pino, one JSON line per entry with an ISO `time` and the level's name,
 * and pino's own redaction of anything named like a credential, should some entry ever carry
 * a request's headers or a token (none of ours does).
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: config.logLevel });
 * ```
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: null,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Exact paths, no wildcards: each costs a lookup per line, a wildcard a walk.
      redact: {
        paths: [
          'authorization',
          'token',
          'accessToken',
          'access_token',
          'headers.authorization',
          'req.headers.authorization',
          // A DPoP proof carries the hash of the token and is itself single-use: no log keeps one.
          'headers.dpop',
          'req.headers.dpop',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

const STARTED = Symbol('request started');
type TimedResponse = Response & { [STARTED]?: number };

/** pino's numeric levels of the three a request entry uses. */
const LEVEL_VALUES = { info: 30, warn: 40, error: 50 } as const;

/**
 * Express middleware logging every request once, as a {@link RequestLogEntry}: `info` for
 * answers below 400, `warn` for 4xx, `error` for 5xx. One `close` listener serves every
 * request (it reads the response as `this`), so logging allocates no closure per request;
 * an entry the logger's level would drop is not even built.
 */
export function logRequests(logger: Logger): RequestHandler {
  function logResponse(this: TimedResponse): void {
    const status = this.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (logger.levelVal > LEVEL_VALUES[level]) return;
    const entry: RequestLogEntry = {
      method: this.req.method,
      path: redactJwts(this.req.path),
      status,
      durationMs: Math.round((performance.now() - (this[STARTED] ?? 0)) * 10) / 10,
    };
    const failure = this.locals.authFailure as AuthFailure | undefined;
    const internalError = this.locals.internalError as string | undefined;
    if (failure !== undefined) {
      entry.error = failure.error;
      entry.reason = redactJwts(failure.reason);
    } else if (internalError !== undefined) {
      entry.error = 'server_error';
      entry.reason = redactJwts(internalError);
    }
    logger[level](entry);
  }
  return (_req, res, next) => {
    (res as TimedResponse)[STARTED] = performance.now();
    res.on('close', logResponse);
    next();
  };
}
