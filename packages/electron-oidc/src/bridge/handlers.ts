import { AUTH_ERROR_CODES } from '../core/errors.ts';
import type { AuthErrorCode } from '../core/errors.ts';
import { BRIDGE_ARGUMENTS } from './arguments.ts';
import { BRIDGE_CHANNELS } from './channels.ts';
import type {
  BridgeAccount,
  BridgeAnswer,
  BridgeError,
  BridgeErrorCode,
  BridgeProfile,
  BridgeResult,
  BridgeSessionState,
  BridgeVerb,
  PrivateMessage,
} from './contract.ts';
import { createAccountsFeed } from './accounts-feed.ts';
import type { AccountsFeed } from './accounts-feed.ts';
import { cleanText } from './clean-text.ts';
import { assertAppOrigin, isAppUrl } from './origin.ts';
import type { PictureFetchOptions } from './picture.ts';
import { createPictureCache } from './picture-cache.ts';
import type { PictureCache } from './picture-cache.ts';
import { createSessionStateFeed } from './session-state-feed.ts';
import type { SessionStateFeed } from './session-state-feed.ts';

export { cleanText } from './clean-text.ts';

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
  /** An interactive sign-in; with an account signed in, for another account (the provider asks which). */
  signIn(): Promise<unknown>;
  cancelSignIn(): unknown;
  /**
   * Signs out of the active account, or of `account` (an id the bridge found
   * in {@link BridgeAuth.listAccounts}), here (revocation, vault, memory) and,
   * with `endProviderSession`, at the provider too, in the system browser.
   */
  signOut(options?: { endProviderSession?: boolean; account?: string }): Promise<unknown>;
  /** The accounts signed in on this device (the library's `AccountSummary`s). */
  listAccounts(): readonly BridgeAuthAccount[];
  /** Calls `listener` whenever the list, an account's state or the active account changes; returns the unsubscribe function. */
  onAccountsChange(listener: () => void): () => void;
  /** Makes the account `id` the active one, signing it in silently if need be. */
  useAccount(id: string): Promise<unknown>;
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

/**
 * One account as the library lists it (`AccountSummary`): the bridge copies
 * the fields it knows, cleaned, and nothing else.
 */
export interface BridgeAuthAccount {
  readonly id: string;
  readonly name?: string | undefined;
  readonly email?: string | undefined;
  /** An http(s) URL, fetched by the bridge's checked picture fetch. */
  readonly picture?: string | undefined;
  readonly active: boolean;
  /** The account's own session state. */
  readonly state: string;
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
   * Whether signing out (`signOut`, `removeAccount`) also ends the provider's
   * session, by opening its end-session page in the system browser (OIDC
   * RP-Initiated Logout).
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
 * The handlers by channel, and what the bridge pushes to the app's windows:
 * the session state and the list of accounts (channel names contain a colon,
 * so they cannot clash with `onSessionState` or `onAccounts`).
 */
export type BridgeHandlers = BridgeChannelHandlers & {
  /** Calls `listener` whenever the state the renderer should show changes; returns the unsubscribe function. */
  onSessionState(listener: (state: BridgeSessionState) => void): () => void;
  /** Calls `listener` with the whole list whenever the accounts change; returns the unsubscribe function. */
  onAccounts(listener: (accounts: BridgeAccount[]) => void): () => void;
};

const MAX_MESSAGE = 2_000;

function ok<T>(value: T): BridgeResult<T> {
  return { ok: true, value };
}

function fail(code: BridgeErrorCode, message: string): { ok: false; error: BridgeError } {
  return { ok: false, error: { code, message } };
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

/** The account id a verb was called with: {@link BRIDGE_ARGUMENTS} has checked it is one string. */
function accountIdOf(args: readonly unknown[]): string {
  return args[0] as string;
}

const UNKNOWN_ACCOUNT = fail(
  'ERR_UNKNOWN_ACCOUNT',
  'That account is not signed in on this device. Choose one from the list.',
);

/** What the account verbs share. */
interface AccountVerbParts {
  auth: BridgeAuth;
  guarded: ReturnType<typeof guardVerbs>;
  feed: SessionStateFeed;
  accounts: AccountsFeed;
  pictures: PictureCache;
  endProviderSession: boolean;
}

/**
 * The handlers of the account verbs. An id reaches the library only once it
 * is shaped like one (the arguments check) and is exactly the id of a listed
 * account: the library would also take an email or a `sub` for an id, which
 * the renderer has no business naming accounts by.
 */
function accountVerbs({ auth, guarded, feed, accounts, pictures, endProviderSession }: AccountVerbParts) {
  return {
    [BRIDGE_CHANNELS.listAccounts]: guarded('listAccounts', 'list the accounts', async () =>
      ok(await accounts.current()),
    ),
    [BRIDGE_CHANNELS.switchAccount]: guarded('switchAccount', 'switch accounts', async (args) => {
      const id = accountIdOf(args);
      if (accounts.find(id) === undefined) return UNKNOWN_ACCOUNT;
      await feed.asSwitch(() => auth.useAccount(id));
      return ok(null);
    }),
    // The library asks the provider for its account choice or login page when an account is signed in.
    [BRIDGE_CHANNELS.addAccount]: guarded('addAccount', 'add an account', async () => {
      await feed.asInteractive(() => auth.signIn());
      return ok(null);
    }),
    [BRIDGE_CHANNELS.removeAccount]: guarded('removeAccount', 'sign out of the account', async (args) => {
      const account = accounts.find(accountIdOf(args));
      if (account === undefined) return UNKNOWN_ACCOUNT;
      if (account.picture !== undefined) pictures.forget(account.picture);
      await auth.signOut({ account: account.id, endProviderSession });
      return ok(null);
    }),
  };
}

/**
 * Creates the main-process side of the bridge: one handler per channel of
 * {@link BRIDGE_CHANNELS}. Each handler
 *
 * 1. refuses a sender whose origin is not exactly `appOrigin` (`file:`, `data:`,
 *    `null` origins, other schemes, hosts and ports included);
 * 2. refuses any argument a verb does not take (only `getSensitiveMessage`
 *    takes one, `{ allowStepUp: boolean }`; `switchAccount` and
 *    `removeAccount` one account id, which must then name a listed account);
 * 3. answers with sanitized data only: never a token, never raw claims, never a `sub`.
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
  const accounts = createAccountsFeed(auth, pictures, log);
  const endProviderSession = options.endProviderSession ?? true;

  const handlers: BridgeHandlers = {
    onSessionState: (listener) => feed.subscribe(listener),
    onAccounts: (listener) => accounts.subscribe(listener),
    ...accountVerbs({ auth, guarded, feed, accounts, pictures, endProviderSession }),
    [BRIDGE_CHANNELS.signIn]: guarded('signIn', 'sign in', async () => {
      await feed.asInteractive(() => auth.signIn());
      return ok(null);
    }),
    [BRIDGE_CHANNELS.cancelSignIn]: guarded('cancelSignIn', 'cancel the sign-in', async () => {
      await auth.cancelSignIn();
      return ok(null);
    }),
    [BRIDGE_CHANNELS.signOut]: guarded('signOut', 'sign out', async () => {
      const active = auth.listAccounts().find((account) => account.active);
      if (active?.picture !== undefined) pictures.forget(active.picture);
      // What the library returns (revocation outcome, end-session URL) stays here.
      await auth.signOut({ endProviderSession });
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
