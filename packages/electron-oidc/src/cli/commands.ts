import { isAuthError } from '../core/errors.ts';
import type { Profile } from '../core/profile.ts';
import { tokenChallenges } from '../core/www-authenticate.ts';
import type { CommandInvocation } from './args.ts';
import { EXIT } from './exit.ts';
import { SealedFileVault } from '../core/vault/sealed-file-vault.ts';
import type { SessionContext } from './session.ts';

/** How long `logout` waits for the browser to come back from the provider's sign-out page. */
export const LOGOUT_WAIT_MS = 60_000;

const NOT_SIGNED_IN = 'Not signed in. Run "electron-oidc login" to sign in.';

function describeUser(profile: Profile): string {
  if (profile.name !== undefined && profile.email !== undefined) return `${profile.name} <${profile.email}>`;
  return profile.name ?? profile.email ?? profile.sub;
}

function describeVault(ctx: SessionContext): string {
  if (ctx.vault === undefined) return 'memory only (no OS keychain answered)';
  const entry = `(service "${ctx.location.service}", account "${ctx.location.account}")`;
  // A sealed vault: the keychain entry holds the key, the session rests encrypted in a file.
  if (ctx.vault instanceof SealedFileVault)
    return `${ctx.vault.file}, encrypted with a key in the keychain ${entry}`;
  return `the ${ctx.vault.kind} ${entry}`;
}

async function login(ctx: SessionContext): Promise<number> {
  const profile = await ctx.auth.signIn(ctx.signal === undefined ? {} : { signal: ctx.signal });
  ctx.stdout.write(`Signed in as ${describeUser(profile)}.\n`);
  ctx.stdout.write(
    // The library says whether the vault took the session (a refused keychain write, or no refresh token: no).
    ctx.auth.sessionPersisted === true
      ? `Session kept in ${describeVault(ctx)}.\n`
      : 'The session could not be kept (see the warning above), so it ended with this command; later commands will not see it.\n',
  );
  return EXIT.ok;
}

/** Restores the stored session; writes "Not signed in." and returns false when there is none. */
async function restore(ctx: SessionContext): Promise<boolean> {
  const state = await ctx.interruptible(ctx.auth.restore());
  if (state === 'signed-out') ctx.fail(NOT_SIGNED_IN);
  return state !== 'signed-out';
}

async function status(ctx: SessionContext): Promise<number> {
  if (!(await restore(ctx))) return EXIT.failure;
  const profile = await ctx.interruptible(ctx.auth.getProfile());
  if (profile === undefined) {
    ctx.fail(NOT_SIGNED_IN);
    return EXIT.failure;
  }
  const expiresAt = ctx.auth.accessTokenExpiresAt;
  const offline = ctx.auth.state === 'offline' ? ' (offline: the provider cannot be reached)' : '';
  const lines = [
    `Signed in as ${describeUser(profile)}${offline}`,
    `  Name:     ${profile.name ?? '(not given)'}`,
    `  Email:    ${profile.email ?? '(not given)'}`,
    `  Subject:  ${profile.sub}`,
    `  Issuer:   ${ctx.config.issuer.href}`,
    `  Access token expires: ${expiresAt === undefined ? 'unknown' : expiresAt.toISOString()}`,
    `  Session kept in: ${describeVault(ctx)}`,
  ];
  ctx.stdout.write(`${lines.join('\n')}\n`);
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

async function get(ctx: SessionContext, apiPath: string): Promise<number> {
  if (!(await restore(ctx))) return EXIT.failure;
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

async function logout(ctx: SessionContext): Promise<number> {
  const state = await ctx.interruptible(ctx.auth.restore());
  if (state === 'signed-out') {
    // A stale or foreign entry may still be there; forget it too.
    await ctx.interruptible(ctx.auth.signOut());
    ctx.stdout.write('Not signed in; nothing to sign out.\n');
    return EXIT.ok;
  }
  const profile = await ctx.interruptible(ctx.auth.getProfile());
  const result = await ctx.interruptible(
    ctx.auth.signOut(ctx.browser ? { endProviderSession: true, timeoutMs: LOGOUT_WAIT_MS } : {}),
  );
  const who = profile === undefined ? '' : ` ${describeUser(profile)}`;
  const revoked = result.revoked ? '; the provider revoked the session' : '';
  ctx.stdout.write(`Signed out${who} on this device${revoked}.\n`);
  ctx.stdout.write(providerSessionNote(result));
  return EXIT.ok;
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
  status: { urlPurpose: () => OPEN_URL, run: status },
  get: {
    // The URL `get` opens is a step-up sign-in's (RFC 9470).
    urlPurpose: (browser: boolean) =>
      browser
        ? 'Opening your browser to sign in again. If it does not open, visit'
        : 'To sign in again, open this URL in a browser on this machine',
    run: (ctx, invocation) => get(ctx, invocation.path),
  },
  logout: {
    urlPurpose: () => 'Opening your browser to end the session at the provider. If it does not open, visit',
    run: logout,
  },
});
