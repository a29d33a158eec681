import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { createPeerIsOwnUser } from './peer-owner.ts';
import type { PeerIsOwnUser } from './peer-owner.ts';
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
  /** Where refused peers are reported. */
  logger?: Logger | undefined;
  /**
   * Whether a connection comes from a program of the app's own OS user
   * (default: {@link createPeerIsOwnUser}). Every request on a served path is
   * asked first; a refused one gets a bare 403 and changes nothing. Replaced
   * only by tests.
   */
  peerIsOwnUser?: PeerIsOwnUser | undefined;
  /** A page served once on its own path, e.g. the end-session form (see {@link OneShotPage}). */
  oneShotPage?: OneShotPage | undefined;
}

/**
 * A page the listener serves exactly once, to the app's own user, for a
 * short time: the form that posts the ID token to the provider's end-session
 * endpoint, so that the token is never in a URL (OIDC RP-Initiated Logout 1.0 §2).
 */
export interface OneShotPage {
  /** Its path; make it unguessable (a random segment). */
  path: string;
  /** How long after the listener starts the page may be fetched. */
  ttlMs: number;
  /** The page, given the listener's redirect URI. */
  render(redirectUri: string): { body: string; headers: Readonly<Record<string, string>> };
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
  /** The {@link OneShotPage}'s URL, when there is one: what the browser is opened on. */
  readonly pageUrl: string | undefined;
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
const REFUSED: ResultPage = {
  ok: false,
  title: 'Refused',
  message: 'This page answers only the user who started the sign-in.',
};
const PAGE_GONE: ResultPage = {
  ok: false,
  title: 'This page has expired',
  message: 'It can be opened only once, shortly after the app created it. Start again from the app.',
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

/** What the request handler and the listener share while a request is pending. */
interface Pending {
  accepted: { request: LoopbackRequest; res: ServerResponse } | undefined;
  failure: unknown;
  pageServed: boolean;
  resolve(request: LoopbackRequest): void;
}

/** Which of the listener's paths a request is for, if any. */
type Route = 'callback' | 'page';

function routeOf(
  req: IncomingMessage,
  url: URL,
  port: number,
  options: LoopbackListenerOptions,
): Route | undefined {
  // A Host other than our own literal means a DNS-rebinding page is talking to us.
  if (req.headers.host !== `${LOOPBACK_HOST}:${port}` || req.method !== 'GET') return undefined;
  if (url.pathname === options.path) return 'callback';
  if (options.oneShotPage !== undefined && url.pathname === options.oneShotPage.path) return 'page';
  return undefined;
}

/**
 * Answers one request: unknown paths 404; on a served path, a peer of
 * another OS user 403 (DESIGN "The loopback listener and the machine's other
 * users"); then the one-shot page once, or the callback with the expected
 * `state` once.
 */
function createHandler(
  options: LoopbackListenerOptions,
  pending: Pending,
  peerIsOwnUser: PeerIsOwnUser,
  site: { port: number; redirectUri: string; pageDeadline: number },
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${LOOPBACK_HOST}:${site.port}`);
    } catch {
      send(res, 400, NOT_FOUND);
      return;
    }
    const route = routeOf(req, url, site.port, options);
    if (route === undefined) return send(res, 404, NOT_FOUND);
    // A wrong `state` is refused whoever sends it; only a request that would
    // be accepted is worth a look at the peer (reading /proc/net is not free).
    if (
      route === 'callback' &&
      options.expectedState !== undefined &&
      url.searchParams.get('state') !== options.expectedState
    )
      return send(res, 400, STRAY);
    const { socket } = req;
    const own = await peerIsOwnUser({
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      localAddress: socket.localAddress,
      localPort: socket.localPort,
    });
    if (!own) return send(res, 403, REFUSED);
    if (route === 'page') {
      const page = options.oneShotPage!;
      if (pending.pageServed || Date.now() > site.pageDeadline) return send(res, 410, PAGE_GONE);
      pending.pageServed = true;
      const { body, headers } = page.render(site.redirectUri);
      res.writeHead(200, { ...headers, Connection: 'close' });
      res.end(body);
      return;
    }
    if (pending.accepted !== undefined || pending.failure !== undefined) return send(res, 400, ALREADY);
    const request: LoopbackRequest = { url, respond: (page) => send(res, page.ok ? 200 : 400, page) };
    pending.accepted = { request, res };
    pending.resolve(request);
  };
}

/**
 * Starts an HTTP listener on 127.0.0.1 (never on other interfaces) for the
 * OAuth redirect of a native app (RFC 8252 §7.3). It accepts exactly one GET
 * on `path` carrying the expected `state`, from a program of the app's own OS
 * user; the caller answers that request and closes the listener.
 *
 * @throws {AuthError} `ERR_REDIRECT_PORT_IN_USE` when a fixed port is taken.
 */
export async function startLoopbackListener(options: LoopbackListenerOptions): Promise<LoopbackListener> {
  const { path, signal } = options;
  signal?.throwIfAborted();

  let reject: (e: unknown) => void = () => {};
  const pending: Pending = { accepted: undefined, failure: undefined, pageServed: false, resolve: () => {} };
  const waiting = new Promise<LoopbackRequest>((resolve, rej) => {
    pending.resolve = resolve;
    reject = rej;
  });
  // The caller may not be awaiting yet; a rejection must not be reported as unhandled.
  waiting.catch(() => {});

  const site = { port: 0, redirectUri: '', pageDeadline: 0 };
  const peerIsOwnUser = options.peerIsOwnUser ?? createPeerIsOwnUser({ logger: options.logger });
  const handle = createHandler(options, pending, peerIsOwnUser, site);
  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, CLOSED));
  });
  server.keepAliveTimeout = 1000;

  site.port = await listenOnLoopback(server, options.port ?? 0, options.portOption ?? 'redirectPort');
  site.redirectUri = `http://${LOOPBACK_HOST}:${site.port}${path}`;
  site.pageDeadline = Date.now() + (options.oneShotPage?.ttlMs ?? 0);
  // Aborted while listen() was pending: no abort event will fire any more, so
  // stop here rather than hand out a listener nobody can cancel.
  if (signal?.aborted) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw signal.reason;
  }

  let closing: Promise<void> | undefined;
  const close = (reason?: unknown): Promise<void> => {
    if (pending.failure === undefined && pending.accepted === undefined) {
      pending.failure = reason ?? new AuthError('ERR_SIGN_IN_CANCELLED', 'The sign-in was cancelled.');
      reject(pending.failure);
    }
    if (pending.accepted !== undefined) send(pending.accepted.res, 400, CLOSED);
    closing ??= closeServer(server);
    signal?.removeEventListener('abort', onAbort);
    return closing;
  };
  const onAbort = (): void => void close(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });

  return {
    port: site.port,
    redirectUri: site.redirectUri,
    pageUrl:
      options.oneShotPage === undefined
        ? undefined
        : `http://${LOOPBACK_HOST}:${site.port}${options.oneShotPage.path}`,
    nextRequest: () => waiting,
    close: () => close(),
  };
}
