import type { AccountSummary, SignOutOptions } from '../core/desktop-auth.ts';
import { AuthError, isAuthError } from '../core/errors.ts';
import { tokenChallenges } from '../core/www-authenticate.ts';
import type { CommandInvocation, LogoutTarget } from './args.ts';
import {
  accountTable,
  describeAccount,
  describeAccounts,
  describeUser,
  describeVault,
  printable,
  unknownAccountMessage,
} from './describe.ts';
import { EXIT } from './exit.ts';
import { oneLine } from './terminal.ts';
import type { SessionContext } from './session.ts';

/** How long `logout` waits for the browser to come back from the provider's sign-out page. */
export const LOGOUT_WAIT_MS = 60_000;

const NOT_SIGNED_IN = 'Not signed in. Run "electron-oidc login" to sign in.';
const NO_ACCOUNTS = 'No accounts signed in. Run "electron-oidc login" to sign in.';

const activeOf = (accounts: readonly AccountSummary[]): AccountSummary | undefined =>
  accounts.find((account) => account.active);

/** A `warning:` line on stderr, as the library's own warnings. */
const warn = (ctx: SessionContext, message: string): void =>
  void ctx.stderr.write(`warning: ${oneLine(message)}\n`);

const signalOf = (ctx: SessionContext): { signal?: AbortSignal } =>
  ctx.signal === undefined ? {} : { signal: ctx.signal };

/**
 * `work`, with `ERR_UNKNOWN_ACCOUNT` for `query` said the CLI's way (how to
 * list the accounts); it stays an `AuthError`, so the command exits 1.
 */
async function onAccount<T>(
  ctx: SessionContext,
  query: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (query === undefined || !isAuthError(err, 'ERR_UNKNOWN_ACCOUNT')) throw err;
    throw new AuthError('ERR_UNKNOWN_ACCOUNT', unknownAccountMessage(query, ctx.auth.listAccounts()), {
      cause: err,
    });
  }
}

/**
 * Runs `work` (a restore) and also gives the accounts whose session the
 * provider ended meanwhile (`invalid_grant`). The library signs such an
 * account out and makes another one active, so a command that goes on
 * would act as someone the user did not name: the commands stop instead.
 */
async function endedDuring<T>(
  ctx: SessionContext,
  work: () => Promise<T>,
): Promise<{ value: T; ended: AccountSummary[] }> {
  const seen = new Map<string, AccountSummary>();
  const off = ctx.auth.onAccountsChange((accounts) => {
    for (const account of accounts) seen.set(account.id, account);
  });
  try {
    const value = await work();
    const now = new Set(ctx.auth.listAccounts().map((a) => a.id));
    return { value, ended: [...seen.values()].filter((a) => !now.has(a.id)) };
  } finally {
    off();
  }
}

/** What to say about accounts the provider signed out, and which account is active now. */
function endedMessage(ctx: SessionContext, ended: readonly AccountSummary[]): string {
  const active = activeOf(ctx.auth.listAccounts());
  const now = active === undefined ? '' : ` The active account is now ${describeAccount(active)}.`;
  return `The provider ended the session of ${describeAccounts(ended)}, so it was signed out on this device; run "electron-oidc login" to sign in again.${now}`;
}

/** What `login` changed among the accounts: added or renewed, and which one is active. */
function describeLoginChange(
  ctx: SessionContext,
  before: readonly AccountSummary[],
  after: readonly AccountSummary[],
): string {
  const active = activeOf(after);
  if (active === undefined) return '';
  const lines: string[] = [];
  if (ctx.config.accounts === 'single') {
    // One account at a time: a sign-in as someone else replaced the account signed in.
    const replaced = before.filter((b) => !after.some((a) => a.id === b.id));
    if (replaced.length > 0) {
      lines.push(
        `Forgot ${describeAccounts(replaced)} on this device: one account at a time (the "accounts" setting is "single").`,
      );
    }
  }
  const renewed = before.some((b) => b.id === active.id);
  const count = after.length === 1 ? '' : ` (${after.length} accounts signed in)`;
  lines.push(`${renewed ? 'Renewed' : 'Added'} the account ${active.id}; it is the active account${count}.`);
  return lines.map((line) => `${line}\n`).join('');
}

async function login(ctx: SessionContext): Promise<number> {
  // The stored accounts first, to tell an added account from a renewed one.
  const { ended } = await endedDuring(ctx, () => ctx.interruptible(ctx.auth.restore()));
  if (ended.length > 0) warn(ctx, endedMessage(ctx, ended));
  const before = ctx.auth.listAccounts();
  const profile = await ctx.auth.signIn(signalOf(ctx));
  const after = ctx.auth.listAccounts();
  ctx.stdout.write(`Signed in as ${describeUser(profile)}.\n`);
  ctx.stdout.write(describeLoginChange(ctx, before, after));
  ctx.stdout.write(
    // The library says whether the vault took the session (a refused keychain write, or no refresh token: no).
    ctx.auth.sessionPersisted === true
      ? `Session kept in ${describeVault(ctx, activeOf(after)?.id)}.\n`
      : 'The session could not be kept (see the warning above), so it ended with this command; later commands will not see it.\n',
  );
  return EXIT.ok;
}

/**
 * Restores the stored session (`account`: that account's, for this command
 * only); writes "Not signed in." and returns false when there is none, or
 * why not when the provider ended it.
 */
async function restore(ctx: SessionContext, account?: string): Promise<boolean> {
  const { value: state, ended } = await endedDuring(ctx, () =>
    onAccount(ctx, account, () =>
      ctx.interruptible(ctx.auth.restore(account === undefined ? {} : { account })),
    ),
  );
  if (ended.length > 0) {
    ctx.fail(endedMessage(ctx, ended));
    return false;
  }
  if (state === 'signed-out') ctx.fail(NOT_SIGNED_IN);
  return state !== 'signed-out';
}

/** The `Account:` line of `status`: which account, and how many there are. */
function accountLine(ctx: SessionContext, forThisCommand: boolean): string {
  const accounts = ctx.auth.listAccounts();
  const active = activeOf(accounts);
  const scope = forThisCommand ? ', for this command only' : '';
  const others =
    accounts.length > 1
      ? `; ${accounts.length} accounts signed in ("electron-oidc accounts" lists them)`
      : '';
  return `  Account:  ${active?.id ?? 'unknown'}${scope}${others}`;
}

async function status(ctx: SessionContext, account: string | undefined): Promise<number> {
  if (!(await restore(ctx, account))) return EXIT.failure;
  const profile = await ctx.interruptible(ctx.auth.getProfile());
  if (profile === undefined) {
    ctx.fail(NOT_SIGNED_IN);
    return EXIT.failure;
  }
  const expiresAt = ctx.auth.accessTokenExpiresAt;
  const offline = ctx.auth.state === 'offline' ? ' (offline: the provider cannot be reached)' : '';
  const lines = [
    `Signed in as ${describeUser(profile)}${offline}`,
    `  Name:     ${printableOr(profile.name)}`,
    `  Email:    ${printableOr(profile.email)}`,
    `  Subject:  ${printableOr(profile.sub)}`,
    accountLine(ctx, account !== undefined),
    `  Issuer:   ${ctx.config.issuer.href}`,
    `  Access token expires: ${expiresAt === undefined ? 'unknown' : expiresAt.toISOString()}`,
    `  Session kept in: ${describeVault(ctx, activeOf(ctx.auth.listAccounts())?.id)}`,
  ];
  ctx.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

function printableOr(text: string | undefined): string {
  return text === undefined ? '(not given)' : printable(text);
}

/** `accounts`: one line per account; exit 1 when there is none, as `status`. */
async function accounts(ctx: SessionContext): Promise<number> {
  // Reads the accounts and renews the active one, so its state is the provider's answer.
  const { ended } = await endedDuring(ctx, () => ctx.interruptible(ctx.auth.restore()));
  if (ended.length > 0) warn(ctx, endedMessage(ctx, ended));
  const listed = ctx.auth.listAccounts();
  if (listed.length === 0) {
    ctx.fail(NO_ACCOUNTS);
    return EXIT.failure;
  }
  ctx.stdout.write(accountTable(listed));
  return EXIT.ok;
}

/** `use <account>`: makes it the active account, remembered for later commands. */
async function use(ctx: SessionContext, query: string): Promise<number> {
  const { value: state, ended } = await endedDuring(ctx, () =>
    onAccount(ctx, query, () => ctx.interruptible(ctx.auth.useAccount(query))),
  );
  if (ended.length > 0) {
    ctx.fail(endedMessage(ctx, ended));
    return EXIT.failure;
  }
  const active = activeOf(ctx.auth.listAccounts());
  if ((state !== 'signed-in' && state !== 'offline') || active === undefined) {
    // Its session could not be read or renewed.
    ctx.fail(
      `Could not restore the session of ${JSON.stringify(query)}; run "electron-oidc login" to sign in again.`,
    );
    return EXIT.failure;
  }
  const offline = state === 'offline' ? ' (offline: the provider cannot be reached)' : '';
  ctx.stdout.write(`Active account: ${describeAccount(active)} (${active.id})${offline}.\n`);
  return EXIT.ok;
}

/** `GET <url> failed: HTTP 401 Unauthorized (<error_description or error>).` */
function describeHttpFailure(url: string, response: Response): string {
  const [challenge] = tokenChallenges(response.headers.get('www-authenticate'));
  const described = challenge?.params.error_description ?? challenge?.params.error;
  const statusText = response.statusText === '' ? '' : ` ${response.statusText}`;
  const reason = described === undefined ? '' : ` (${described})`;
  return `GET ${url} failed: HTTP ${response.status}${statusText}${reason}.`;
}

/**
 * The API's answer; when it asks for a stronger or more recent sign-in (RFC
 * 9470), says so, signs the same user in again in the browser (or prints the
 * URL with `--no-browser`) and asks once more.
 */
async function fetchWithStepUp(ctx: SessionContext, apiPath: string): Promise<Response> {
  try {
    return await ctx.interruptible(ctx.auth.fetchApi(apiPath));
  } catch (err) {
    if (!isAuthError(err, 'ERR_STEP_UP_REQUIRED') || err.stepUp === undefined) throw err;
    ctx.stderr.write(
      `The API needs a stronger or more recent sign-in for ${apiPath}; sign in again${ctx.browser ? ' in your browser' : ''}.\n`,
    );
    await ctx.auth.stepUp(err.stepUp, ctx.signal === undefined ? {} : { signal: ctx.signal });
    return ctx.interruptible(ctx.auth.fetchApi(apiPath));
  }
}

async function get(ctx: SessionContext, apiPath: string, account: string | undefined): Promise<number> {
  if (!(await restore(ctx, account))) return EXIT.failure;
  const response = await fetchWithStepUp(ctx, apiPath);
  const body = await ctx.interruptible(response.text());
  if (!response.ok) {
    ctx.fail(describeHttpFailure(new URL(apiPath, ctx.config.apiBaseUrl).href, response));
    return EXIT.failure;
  }
  ctx.stdout.write(body.endsWith('\n') || body === '' ? body : `${body}\n`);
  return EXIT.ok;
}

/** What `logout` says about the provider's own session, after the local sign-out. */
function providerSessionNote(result: {
  endSessionUrl: string | undefined;
  providerSessionEnded?: boolean;
}): string {
  if (result.endSessionUrl === undefined) {
    return 'The provider offers no end-session page; its own sign-in may still be remembered by your browser.\n';
  }
  if (result.providerSessionEnded === true) return 'Signed out at the provider too.\n';
  // The URL carries no ID token (it would be on the screen and in the browser's history), so
  // the provider asks the user to confirm (OIDC RP-Initiated Logout 1.0 §2).
  return `To sign out at the provider too, open this URL and confirm there:\n  ${result.endSessionUrl}\n`;
}

/** The library's sign-out options for `target`; in the browser, the provider's session ends too. */
function signOutOptions(ctx: SessionContext, target: LogoutTarget): SignOutOptions {
  return {
    ...(target.kind === 'all' ? { all: true } : {}),
    ...(target.kind === 'account' ? { account: target.account } : {}),
    ...(ctx.browser ? { endProviderSession: true, timeoutMs: LOGOUT_WAIT_MS } : {}),
  };
}

/**
 * Says which accounts the provider had signed out while `logout` restored
 * them; true when the account `target` meant is among them, so nothing is
 * left to sign out (the account the library made active instead is not meant).
 */
function reportEnded(ctx: SessionContext, ended: readonly AccountSummary[], target: LogoutTarget): boolean {
  if (ended.length === 0) return false;
  ctx.stdout.write(
    `The provider had ended the session of ${describeAccounts(ended)}; it is signed out on this device.\n`,
  );
  if (target.kind === 'all') return false;
  if (target.kind === 'active') return true;
  const lower = target.account.toLowerCase();
  return ended.some((a) => a.id === target.account || a.email?.toLowerCase() === lower);
}

/** `logout`, `logout <account>`, `logout --all`. */
async function logout(ctx: SessionContext, target: LogoutTarget): Promise<number> {
  const { ended } = await endedDuring(ctx, () => ctx.interruptible(ctx.auth.restore()));
  const before = ctx.auth.listAccounts();
  if (reportEnded(ctx, ended, target) || (before.length === 0 && ended.length > 0)) {
    writeActive(ctx);
    return EXIT.ok;
  }
  if (before.length === 0) {
    // A stale or foreign entry may still be there; forget it too.
    await ctx.interruptible(ctx.auth.signOut());
    ctx.stdout.write('Not signed in; nothing to sign out.\n');
    return EXIT.ok;
  }
  const query = target.kind === 'account' ? target.account : undefined;
  const result = await onAccount(ctx, query, () =>
    ctx.interruptible(ctx.auth.signOut(signOutOptions(ctx, target))),
  );
  const gone = before.filter((b) => !ctx.auth.listAccounts().some((a) => a.id === b.id));
  const who = gone.length === 0 ? '' : ` ${describeAccounts(gone)}`;
  const revoked = result.revoked ? `; the provider revoked the session${gone.length > 1 ? 's' : ''}` : '';
  ctx.stdout.write(`Signed out${who} on this device${revoked}.\n`);
  ctx.stdout.write(providerSessionNote(result));
  writeActive(ctx);
  return EXIT.ok;
}

/** `Active account: <who> (<id>).`, when one is. */
function writeActive(ctx: SessionContext): void {
  const active = activeOf(ctx.auth.listAccounts());
  if (active !== undefined) ctx.stdout.write(`Active account: ${describeAccount(active)} (${active.id}).\n`);
}

/** A command line that runs a command on the session (every command but `doctor`). */
export type SessionInvocation = Exclude<CommandInvocation, { command: 'doctor' }>;
export type SessionCommandName = SessionInvocation['command'];

/** One command of the session: what it runs, and what the URL it may open is for. */
export interface SessionCommand<I extends SessionInvocation = SessionInvocation> {
  /** Printed above the URL the command opens (`browser`: whether it opens the browser itself). */
  urlPurpose(browser: boolean): string;
  run(ctx: SessionContext, invocation: I): Promise<number>;
}

const OPEN_URL = 'Open this URL in your browser';

/** The URL `get` opens is a step-up sign-in's (RFC 9470). */
const signInAgain = (browser: boolean): string =>
  browser
    ? 'Opening your browser to sign in again. If it does not open, visit'
    : 'To sign in again, open this URL in a browser on this machine';

/** The commands that run on the session, by name. */
export const SESSION_COMMANDS: {
  readonly [C in SessionCommandName]: SessionCommand<SessionInvocation & { readonly command: C }>;
} = Object.freeze({
  login: {
    urlPurpose: (browser: boolean) =>
      browser
        ? 'Opening your browser to sign in. If it does not open, visit'
        : 'To sign in, open this URL in a browser on this machine',
    run: login,
  },
  accounts: { urlPurpose: () => OPEN_URL, run: accounts },
  use: { urlPurpose: () => OPEN_URL, run: (ctx, invocation) => use(ctx, invocation.account) },
  status: { urlPurpose: () => OPEN_URL, run: (ctx, invocation) => status(ctx, invocation.account) },
  get: {
    urlPurpose: signInAgain,
    run: (ctx, invocation) => get(ctx, invocation.path, invocation.account),
  },
  logout: {
    urlPurpose: () => 'Opening your browser to end the session at the provider. If it does not open, visit',
    run: (ctx, invocation) => logout(ctx, invocation.target),
  },
});
