import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError } from '../errors.ts';
import { RESULT_PAGE_HEADERS, renderResultPage } from './result-page.ts';
import type { ResultPage } from './result-page.ts';

/** Options of {@link startLoopbackListener}. */
export interface LoopbackListenerOptions {
  /** The port to bind on 127.0.0.1; 0 or undefined picks a free one (RFC 8252 §7.3). */
  port?: number | undefined;
  /** The only path answered (e.g. `/callback`); every other path is a 404. */
  path: string;
  /**
   * The `state` the pending request carries. Requests with another (or no)
   * `state` are answered 400 and ignored, so a forged callback can neither end
   * nor hijack the sign-in (RFC 6749 §10.12, RFC 9700 §4.7). Leave unset only
   * for pages that carry no state (post-logout).
   */
  expectedState?: string | undefined;
  /** Aborting closes the listener; {@link LoopbackListener.nextRequest} rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** The option that chose the port, named in the port-in-use error. */
  portOption?: string;
}

/** The one request the listener accepted; answer it with {@link LoopbackRequest.respond}. */
export interface LoopbackRequest {
  /** The full request URL (`http://127.0.0.1:<port>/callback?code=…&state=…`). */
  readonly url: URL;
  /** Sends the result page to the browser (once; later calls do nothing). */
  respond(page: ResultPage): void;
}

/** A loopback HTTP listener waiting for one browser redirect. */
export interface LoopbackListener {
  /** The bound port. */
  readonly port: number;
  /** `http://127.0.0.1:<port><path>`: the redirect URI to send to the provider. */
  readonly redirectUri: string;
  /** Resolves with the first accepted request; rejects when the listener is aborted or closed first. */
  nextRequest(): Promise<LoopbackRequest>;
  /** Stops listening and drops open connections. Safe to call more than once. */
  close(): Promise<void>;
}

const LOOPBACK_HOST = '127.0.0.1';

function send(res: ServerResponse, status: number, page: ResultPage): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...RESULT_PAGE_HEADERS, Connection: 'close' });
  res.end(renderResultPage(page));
}

const NOT_FOUND: ResultPage = { ok: false, title: 'Not found', message: 'There is nothing here.' };
const STRAY: ResultPage = {
  ok: false,
  title: 'This link is not for this sign-in',
  message:
    'The app is not waiting for this answer, so it was ignored. If you are signing in, finish in the browser tab the app opened.',
};
const ALREADY: ResultPage = {
  ok: false,
  title: 'Already handled',
  message: 'The app has already received an answer for this sign-in. You can close this tab.',
};
const CLOSED: ResultPage = {
  ok: false,
  title: 'Sign-in ended',
  message: 'The app stopped waiting for this sign-in. You can close this tab and start again from the app.',
};

/** Why listening on `port` failed, for the person who chose it through `option`. */
function listenError(err: NodeJS.ErrnoException, port: number, option: string): AuthError {
  if (err.code === 'EADDRINUSE') {
    return new AuthError(
      'ERR_REDIRECT_PORT_IN_USE',
      `Port ${port} on ${LOOPBACK_HOST} is already in use by another program, so the app cannot receive the sign-in answer. Close that program, or change the "${option}" option (leave it unset to use any free port).`,
      { cause: err, option },
    );
  }
  return new AuthError(
    'ERR_CONFIG',
    `Cannot listen on ${LOOPBACK_HOST}:${port} for the sign-in answer (${err.code ?? err.message}); check the "${option}" option.`,
    { cause: err, option },
  );
}

/** Binds `server` on 127.0.0.1 only, at `port` (0: any free one); resolves with the bound port. */
function listenOnLoopback(server: Server, port: number, option: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(listenError(err, port, option));
    server.once('error', onError);
    server.listen({ host: LOOPBACK_HOST, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Closes `server`: the answer already written reaches the browser, then
 * whatever connection is still open is dropped (a half-sent request must not
 * keep the process alive).
 */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), 500);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Starts an HTTP listener on 127.0.0.1 (never on other interfaces) for the
 * OAuth redirect of a native app (RFC 8252 §7.3). It accepts exactly one GET
 * on `path` carrying the expected `state`; the caller answers that request and
 * closes the listener.
 *
 * @throws {AuthError} `ERR_REDIRECT_PORT_IN_USE` when a fixed port is taken.
 */
export async function startLoopbackListener(options: LoopbackListenerOptions): Promise<LoopbackListener> {
  const { path, expectedState, signal } = options;
  signal?.throwIfAborted();

  let accepted: { request: LoopbackRequest; res: ServerResponse } | undefined;
  let settle: { resolve: (r: LoopbackRequest) => void; reject: (e: unknown) => void } | undefined;
  let failure: unknown;
  const waiting = new Promise<LoopbackRequest>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The caller may not be awaiting yet; a rejection must not be reported as unhandled.
  waiting.catch(() => {});

  let port = 0;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${LOOPBACK_HOST}:${port}`);
    } catch {
      send(res, 400, NOT_FOUND);
      return;
    }
    // A Host other than our own literal means a DNS-rebinding page is talking to us.
    if (req.headers.host !== `${LOOPBACK_HOST}:${port}` || req.method !== 'GET' || url.pathname !== path) {
      send(res, 404, NOT_FOUND);
      return;
    }
    if (expectedState !== undefined && url.searchParams.get('state') !== expectedState) {
      send(res, 400, STRAY);
      return;
    }
    if (accepted !== undefined || failure !== undefined) {
      send(res, 400, ALREADY);
      return;
    }
    const request: LoopbackRequest = {
      url,
      respond: (page) => send(res, page.ok ? 200 : 400, page),
    };
    accepted = { request, res };
    settle?.resolve(request);
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 1000;

  port = await listenOnLoopback(server, options.port ?? 0, options.portOption ?? 'redirectPort');
  // Aborted while listen() was pending: no abort event will fire any more, so
  // stop here rather than hand out a listener nobody can cancel.
  if (signal?.aborted) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw signal.reason;
  }

  let closing: Promise<void> | undefined;
  const close = (reason?: unknown): Promise<void> => {
    if (failure === undefined && accepted === undefined) {
      failure = reason ?? new AuthError('ERR_SIGN_IN_CANCELLED', 'The sign-in was cancelled.');
      settle?.reject(failure);
    }
    if (accepted !== undefined) send(accepted.res, 400, CLOSED);
    closing ??= closeServer(server);
    signal?.removeEventListener('abort', onAbort);
    return closing;
  };
  const onAbort = (): void => void close(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });

  return {
    port,
    redirectUri: `http://${LOOPBACK_HOST}:${port}${path}`,
    nextRequest: () => waiting,
    close: () => close(),
  };
}
