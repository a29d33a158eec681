import { AUTH_ERROR_CODES } from '../core/errors.ts';
import type { AuthErrorCode } from '../core/errors.ts';
import { BRIDGE_ARGUMENTS } from './arguments.ts';
import { BRIDGE_CHANNELS } from './channels.ts';
import type {
  BridgeAnswer,
  BridgeError,
  BridgeErrorCode,
  BridgeProfile,
  BridgeResult,
  BridgeSessionState,
  BridgeVerb,
  PrivateMessage,
} from './contract.ts';
import { assertAppOrigin, isAppUrl } from './origin.ts';
import { fetchPictureAsDataUrl } from './picture.ts';
import type { PictureFetchOptions } from './picture.ts';
import { createSessionStateFeed } from './session-state-feed.ts';

/**
 * Just what the bridge needs of the library's session (see `createDesktopAuth`
 * in `electron-oidc`). Declared structurally so the bridge can be tested with
 * any object of this shape and so it can never reach for more (e.g. a token).
 */
export interface BridgeAuth {
  /** The library's state: `signed-out`, `signing-in`, `signed-in` or `offline`. */
  readonly state: string;
  /** Calls `listener` on every change of {@link BridgeAuth.state}; returns the unsubscribe function. */
  onStateChange(listener: (state: string) => void): () => void;
  signIn(): Promise<unknown>;
  cancelSignIn(): unknown;
  /**
   * Signs out here (revocation, vault, memory) and, with `endProviderSession`,
   * at the provider too, in the system browser.
   */
  signOut(options?: { endProviderSession?: boolean }): Promise<unknown>;
  /**
   * Renews the session if it needs it. The bridge calls it only to retry
   * while offline and drops what it resolves to: the token never leaves the
   * main process.
   */
  getAccessToken(): Promise<unknown>;
  getProfile(): unknown;
  /**
   * Calls the API with the token. `stepUp: 'auto'` lets the library sign the
   * user in again when the API asks for more (RFC 9470); otherwise such an
   * answer rejects with `ERR_STEP_UP_REQUIRED`.
   */
  fetchApi(pathOrUrl: string, init?: RequestInit & { stepUp?: 'reject' | 'auto' }): Promise<Response>;
}

export interface BridgeHandlerOptions {
  /**
   * The app's own origin, e.g. `app://desktop`. Calls from any other origin
   * are refused (Electron security checklist: "Validate the sender of all IPC
   * messages").
   */
  appOrigin: string;
  /** The API path of the private message. Default `/private`. */
  privateMessagePath?: string;
  /** The API path of the sensitive message, which may ask for a step-up sign-in. Default `/private/sensitive`. */
  sensitiveMessagePath?: string;
  /**
   * Whether signing out also ends the provider's session, by opening its
   * end-session page in the system browser (OIDC RP-Initiated Logout).
   * Default true: otherwise the next "Sign in" would go through without a
   * password, which is not what a person who clicked "Logout" expects. The
   * local sign-out happens first and the state is pushed at once; the call
   * itself resolves when the browser comes back (or the library gives up).
   */
  endProviderSession?: boolean;
  /** Limits of the picture fetch (size cap, timeout). */
  picture?: PictureFetchOptions;
  /** Where failures that are not shown in full to the renderer are logged. Default `console.warn`. */
  log?: BridgeLog;
}

/** Where the bridge logs what it does not show the renderer in full. */
export type BridgeLog = (message: string, error?: unknown) => void;

/**
 * One handler per channel: `(senderUrl, args)` where `senderUrl` is the URL of
 * the frame that sent the call (`event.senderFrame.url` in Electron). A handler
 * never rejects; failures are results.
 */
export type BridgeHandler<V extends BridgeVerb> = (
  senderUrl: string,
  args: readonly unknown[],
) => Promise<BridgeAnswer<V>>;

/** The handlers by channel. */
export type BridgeChannelHandlers = {
  readonly [V in BridgeVerb as (typeof BRIDGE_CHANNELS)[V]]: BridgeHandler<V>;
};

/**
 * The handlers by channel, and the session state as the bridge reports it, to
 * push to the app's windows (channel names contain a colon, so they cannot
 * clash with `onSessionState`).
 */
export type BridgeHandlers = BridgeChannelHandlers & {
  /** Calls `listener` whenever the state the renderer should show changes; returns the unsubscribe function. */
  onSessionState(listener: (state: BridgeSessionState) => void): () => void;
};

const MAX_TEXT = 256;
const MAX_MESSAGE = 2_000;

function ok<T>(value: T): BridgeResult<T> {
  return { ok: true, value };
}

function fail(code: BridgeErrorCode, message: string): { ok: false; error: BridgeError } {
  return { ok: false, error: { code, message } };
}

/**
 * Untrusted text from claims or the API, made safe to hand over: strings only,
 * control and bidi-override characters removed (they can disguise a name),
 * trimmed and capped. The renderer still renders it as text, never as HTML.
 */
export function cleanText(value: unknown, max = MAX_TEXT): string | null {
  if (typeof value !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const cleaned = value.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  return cleaned === '' ? null : cleaned.slice(0, max);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The library's codes: an error carrying one passes through to the renderer (see `toBridgeError`). */
const LIBRARY_CODES: ReadonlySet<string> = new Set<string>(AUTH_ERROR_CODES);

/** Whether `err` is one of the library's errors, by shape (another copy of the library counts too). */
function isLibraryError(err: unknown): err is { code: AuthErrorCode; message: string } {
  return (
    isRecord(err) &&
    typeof err.code === 'string' &&
    LIBRARY_CODES.has(err.code) &&
    typeof err.message === 'string'
  );
}

/**
 * Maps a thrown value to what the renderer may see. The library's errors carry
 * a code from a closed set and a message written for the user, so they pass
 * through; anything else is logged here and reported as `ERR_INTERNAL`, since
 * its message may hold details (paths, URLs, responses) the renderer has no
 * business seeing.
 */
function toBridgeError(err: unknown, log: BridgeLog, what: string): BridgeError {
  if (isLibraryError(err)) {
    return { code: err.code, message: cleanText(err.message, 500) ?? 'Something went wrong.' };
  }
  log(`electron-oidc bridge: ${what} failed`, err);
  return { code: 'ERR_INTERNAL', message: `Something went wrong while trying to ${what}. Please try again.` };
}

/**
 * Wraps a verb's body in the checks every call goes through: the sender's
 * origin, then the arguments; a body that throws becomes a failed result.
 */
function guardVerbs(appOrigin: string, log: BridgeLog) {
  return <V extends BridgeVerb>(
      verb: V,
      what: string,
      body: (args: readonly unknown[]) => Promise<BridgeAnswer<V>>,
    ): BridgeHandler<V> =>
    async (senderUrl, args) => {
      if (typeof senderUrl !== 'string' || !isAppUrl(senderUrl, appOrigin)) {
        return fail(
          'ERR_SENDER_REFUSED',
          'This request did not come from the app and was refused.',
        ) as BridgeAnswer<V>;
      }
      if (!BRIDGE_ARGUMENTS[verb](args)) {
        return fail(
          'ERR_INVALID_ARGUMENTS',
          'This request carried arguments it does not take.',
        ) as BridgeAnswer<V>;
      }
      try {
        return await body(args);
      } catch (err) {
        return { ok: false, error: toBridgeError(err, log, what) } as BridgeAnswer<V>;
      }
    };
}

/** The profile picture as a data URL, remembered for the URL it came from until {@link PictureCache.forget}. */
interface PictureCache {
  dataUrlOf(url: string | null): Promise<string | null>;
  forget(): void;
}

function createPictureCache(options: PictureFetchOptions | undefined, log: BridgeLog): PictureCache {
  let cached: { url: string; dataUrl: string } | undefined;
  return {
    async dataUrlOf(url) {
      if (url === null) return null;
      if (cached?.url === url) return cached.dataUrl;
      try {
        const dataUrl = await fetchPictureAsDataUrl(url, options);
        cached = { url, dataUrl };
        return dataUrl;
      } catch (err) {
        // A missing picture is not worth failing the profile for.
        log('electron-oidc bridge: profile picture not shown', err);
        return null;
      }
    },
    forget() {
      cached = undefined;
    },
  };
}

/** `getProfile`: the sanitized profile (name, email, picture as a data URL), never the raw claims. */
async function readProfile(auth: BridgeAuth, pictures: PictureCache): Promise<BridgeResult<BridgeProfile>> {
  const claims: unknown = await auth.getProfile();
  if (!isRecord(claims)) return fail('ERR_NOT_SIGNED_IN', 'Nobody is signed in.');
  const profile: BridgeProfile = {
    name: cleanText(claims.name),
    email: cleanText(claims.email),
    picture: await pictures.dataUrlOf(typeof claims.picture === 'string' ? claims.picture : null),
  };
  return ok(profile);
}

/**
 * `getPrivateMessage`, `getSensitiveMessage`: calls the API through the
 * library (which attaches the token) and hands over the message only. The
 * library's errors pass through with their code and message alone (so
 * `ERR_STEP_UP_REQUIRED` reaches the renderer without what the API asked
 * for); any other failure to reach the API is `ERR_API_UNAVAILABLE`.
 */
async function readApiMessage(
  auth: BridgeAuth,
  apiPath: string,
  log: BridgeLog,
  stepUp: 'reject' | 'auto' = 'reject',
): Promise<BridgeResult<PrivateMessage>> {
  let response: Response;
  try {
    response = await auth.fetchApi(apiPath, {
      method: 'GET',
      headers: { accept: 'application/json' },
      stepUp,
    });
  } catch (err) {
    if (isLibraryError(err)) throw err;
    log('electron-oidc bridge: the API could not be reached', err);
    return fail('ERR_API_UNAVAILABLE', 'The API could not be reached. Check your connection and try again.');
  }
  if (!response.ok) {
    await response.body?.cancel();
    return apiStatusFailure(response.status);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const message = isRecord(body) ? cleanText(body.message, MAX_MESSAGE) : null;
  if (message === null) return fail('ERR_API_RESPONSE_INVALID', 'The API answered something unexpected.');
  return ok({ message });
}

/** Whether `getSensitiveMessage`'s (validated) arguments allow a step-up sign-in. */
function allowsStepUp(args: readonly unknown[]): boolean {
  const [options] = args;
  return isRecord(options) && options.allowStepUp === true;
}

/** What the renderer is told about an API answer that is not 2xx. */
function apiStatusFailure(status: number): { ok: false; error: BridgeError } {
  if (status === 401) {
    return fail('ERR_API_REFUSED', 'The API did not accept your sign-in. Sign out and sign in again.');
  }
  if (status === 403) return fail('ERR_API_REFUSED', 'The API says your account may not read this message.');
  return fail('ERR_API_UNAVAILABLE', `The API is having trouble (status ${status}). Try again later.`);
}

/**
 * Creates the main-process side of the bridge: one handler per channel of
 * {@link BRIDGE_CHANNELS}. Each handler
 *
 * 1. refuses a sender whose origin is not exactly `appOrigin` (`file:`, `data:`,
 *    `null` origins, other schemes, hosts and ports included);
 * 2. refuses any argument a verb does not take (only `getSensitiveMessage`
 *    takes one, `{ allowStepUp: boolean }`);
 * 3. answers with sanitized data only: never a token, never raw claims.
 *
 * @example
 * ```ts
 * const handlers = createBridgeHandlers(auth, { appOrigin: 'app://desktop' });
 * registerBridge(ipcMain, handlers, { appOrigin: 'app://desktop', windows: () => [win] });
 * ```
 */
export function createBridgeHandlers(auth: BridgeAuth, options: BridgeHandlerOptions): BridgeHandlers {
  const appOrigin = assertAppOrigin(options.appOrigin);
  const privateMessagePath = options.privateMessagePath ?? '/private';
  const sensitiveMessagePath = options.sensitiveMessagePath ?? '/private/sensitive';
  const log: BridgeLog = options.log ?? ((message, error) => console.warn(message, error));
  const guarded = guardVerbs(appOrigin, log);
  const feed = createSessionStateFeed(auth, log);
  const pictures = createPictureCache(options.picture, log);

  const handlers: BridgeHandlers = {
    onSessionState: (listener) => feed.subscribe(listener),
    [BRIDGE_CHANNELS.signIn]: guarded('signIn', 'sign in', async () => {
      await feed.asInteractive(() => auth.signIn());
      return ok(null);
    }),
    [BRIDGE_CHANNELS.cancelSignIn]: guarded('cancelSignIn', 'cancel the sign-in', async () => {
      await auth.cancelSignIn();
      return ok(null);
    }),
    [BRIDGE_CHANNELS.signOut]: guarded('signOut', 'sign out', async () => {
      pictures.forget();
      // What the library returns (revocation outcome, end-session URL) stays here.
      await auth.signOut({ endProviderSession: options.endProviderSession ?? true });
      return ok(null);
    }),
    [BRIDGE_CHANNELS.renewSession]: guarded('renewSession', 'reconnect', async () => {
      await auth.getAccessToken();
      return ok(null);
    }),
    [BRIDGE_CHANNELS.getSessionState]: guarded('getSessionState', 'read the session state', async () =>
      ok(feed.current()),
    ),
    [BRIDGE_CHANNELS.getProfile]: guarded('getProfile', 'read the profile', () =>
      readProfile(auth, pictures),
    ),
    [BRIDGE_CHANNELS.getPrivateMessage]: guarded('getPrivateMessage', 'get the private message', () =>
      readApiMessage(auth, privateMessagePath, log),
    ),
    [BRIDGE_CHANNELS.getSensitiveMessage]: guarded(
      'getSensitiveMessage',
      'get the sensitive message',
      async (args) => {
        if (!allowsStepUp(args)) return readApiMessage(auth, sensitiveMessagePath, log);
        // A step-up is a sign-in the user asked for: `signing-in`, not `restoring`, while it waits.
        return feed.asInteractive(() => readApiMessage(auth, sensitiveMessagePath, log, 'auto'));
      },
    ),
  };
  return Object.freeze(handlers);
}
