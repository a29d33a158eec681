import { existsSync } from 'node:fs';
import path from 'node:path';
import packageJson from '../../package.json' with { type: 'json' };
import { CONFIG_ENV_VARS, loadConfig } from '../core/config.ts';
import type { AuthConfig } from '../core/config.ts';
import { createDesktopAuth } from '../core/desktop-auth.ts';
import { diagnoseProvider } from '../core/doctor/index.ts';
import type { Verdict } from '../core/doctor/index.ts';
import type { DesktopAuth } from '../core/desktop-auth.ts';
import { AuthError, isAuthError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Profile } from '../core/profile.ts';
import type { FetchLike } from '../core/provider.ts';
import { createSystemBrowserOpener } from '../core/system-browser.ts';
import type { BrowserOpener } from '../core/system-browser.ts';
import type { Vault } from '../core/vault/vault.ts';
import { parseCommandLine, USAGE, USAGE_HINT, UsageError } from './args.ts';
import type { CommonOptions, Invocation } from './args.ts';
import { DEFAULT_KEYCHAIN_SERVICE, keychainAccount, openVault } from '../core/vault/index.ts';

/** Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted (128 + SIGINT, as shells do). */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, interrupted: 130 });

/** Where output goes; `process.stdout` and `process.stderr` fit. */
export interface Writer {
  write(text: string): unknown;
}

/** Where in the OS keychain the session rests. */
export interface KeychainLocation {
  readonly service: string;
  readonly account: string;
}

/** Opens the vault at a keychain location; rejects when no keychain answers. */
export type VaultOpener = (location: KeychainLocation) => Promise<Vault>;

/** Everything the CLI touches, injectable so tests can run it in-process. */
export interface CliOptions {
  /** The arguments after the script path, e.g. `['get', '/private']`. */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  stdout: Writer;
  stderr: Writer;
  /** Where `./electron-oidc.json` and a relative `--config` are looked up. Default: `process.cwd()`. */
  cwd?: string;
  /** Default: `$BROWSER`, else the platform's opener (see `createSystemBrowserOpener`). */
  openBrowser?: BrowserOpener;
  /** Default: the OS keychain. */
  openVault?: VaultOpener;
  /** Aborted on Ctrl-C: cancels a pending sign-in and ends the command with exit code 130. */
  signal?: AbortSignal;
  fetch?: FetchLike;
}

/** The default configuration file, looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = 'electron-oidc.json';
/** How long `logout` waits for the browser to come back from the provider's sign-out page. */
export const LOGOUT_WAIT_MS = 60_000;

class Interrupted extends Error {
  constructor() {
    super('Interrupted.');
    this.name = 'Interrupted';
  }
}

/** Messages go out on one line: a reason never spills over into what a script reads next. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/**
 * Runs one CLI invocation and resolves with its exit code. Never throws:
 * expected failures print one line on stderr, usage errors a usage hint too.
 */
export async function runCli(options: CliOptions): Promise<number> {
  const { stdout, stderr } = options;
  const fail = (message: string): void => {
    stderr.write(`electron-oidc: ${oneLine(message)}\n`);
  };

  let invocation: Invocation;
  try {
    invocation = parseCommandLine(options.argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    fail(err.message);
    stderr.write(`${USAGE_HINT}\n`);
    return EXIT.usage;
  }
  if (invocation.kind === 'help') {
    stdout.write(USAGE);
    return EXIT.ok;
  }
  if (invocation.kind === 'version') {
    stdout.write(`${packageJson.version}\n`);
    return EXIT.ok;
  }

  const cwd = options.cwd ?? process.cwd();
  const { env } = options;
  const common = invocation.options;

  let config: AuthConfig;
  try {
    config = await loadCliConfig(common, env, cwd);
  } catch (err) {
    if (!isAuthError(err)) throw err;
    fail(err.message);
    return EXIT.failure;
  }

  if (invocation.command === 'doctor') {
    // Needs no keychain and no browser: it only asks the provider.
    return doctor(config, stdout, fail, options.fetch);
  }

  const location: KeychainLocation = {
    service: common.vaultService ?? nonEmptyEnv(env, 'OIDC_VAULT_SERVICE') ?? DEFAULT_KEYCHAIN_SERVICE,
    account:
      common.vaultAccount ??
      nonEmptyEnv(env, 'OIDC_VAULT_ACCOUNT') ??
      keychainAccount(config.issuer.href, config.clientId),
  };
  const logger = cliLogger(stderr, common.verbose);
  let vault: TrackedVault | undefined;
  try {
    vault = trackWrites(await (options.openVault ?? openKeychainVault)(location));
  } catch (err) {
    // DESIGN "Vault": where no keychain answers, say so and keep the session in memory only.
    logger.warn(
      `${err instanceof Error ? err.message : String(err)} The session is kept in memory only and will not persist: it ends with this command.`,
    );
  }

  const systemOpener = options.openBrowser ?? createSystemBrowserOpener({ env: { ...env } });
  let urlPurpose = 'Open this URL in your browser';
  // Prints the URL first, for terminals without a browser, and keeps waiting when the browser
  // cannot be opened: the user can open the URL by hand and Ctrl-C still cancels.
  const openBrowser: BrowserOpener = async (url) => {
    stderr.write(`${urlPurpose}:\n  ${url}\n`);
    if (!common.browser) return;
    try {
      await systemOpener(url);
    } catch (err) {
      logger.warn(
        `${oneLine(err instanceof Error ? err.message : String(err))} Open the URL above in a browser yourself.`,
      );
    }
  };

  const auth = createDesktopAuth({
    config,
    ...(vault === undefined ? {} : { vault }),
    openBrowser,
    logger,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const { signal } = options;
  const interruptible = <T>(work: Promise<T>): Promise<T> => {
    if (signal === undefined) return work;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new Interrupted());
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };
  const context: CommandContext = { auth, config, stdout, stderr, fail, interruptible, vault, location };

  try {
    switch (invocation.command) {
      case 'login':
        urlPurpose = common.browser
          ? 'Opening your browser to sign in. If it does not open, visit'
          : 'To sign in, open this URL in a browser on this machine';
        return await login(context, signal);
      case 'status':
        return await status(context);
      case 'get':
        return await get(context, invocation.path);
      case 'logout':
        urlPurpose = 'Opening your browser to end the session at the provider. If it does not open, visit';
        return await logout(context, common.browser);
    }
  } catch (err) {
    if (
      err instanceof Interrupted ||
      (signal?.aborted === true && isAuthError(err, 'ERR_SIGN_IN_CANCELLED'))
    ) {
      fail(err instanceof Interrupted ? err.message : (err as AuthError).message);
      return EXIT.interrupted;
    }
    if (isAuthError(err)) {
      fail(err.message);
      return EXIT.failure;
    }
    fail(`Unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    if (common.verbose && err instanceof Error && err.stack !== undefined) stderr.write(`${err.stack}\n`);
    return EXIT.failure;
  } finally {
    auth.close();
  }
}

interface CommandContext {
  auth: DesktopAuth;
  config: AuthConfig;
  stdout: Writer;
  stderr: Writer;
  fail: (message: string) => void;
  interruptible: <T>(work: Promise<T>) => Promise<T>;
  vault: TrackedVault | undefined;
  location: KeychainLocation;
}

/** A vault that remembers whether its last write failed (the session logs it and goes on in memory). */
interface TrackedVault extends Vault {
  readonly lastWriteFailed: boolean;
}

function trackWrites(vault: Vault): TrackedVault {
  let lastWriteFailed = false;
  return {
    kind: vault.kind,
    persistent: vault.persistent,
    get lastWriteFailed() {
      return lastWriteFailed;
    },
    read: () => vault.read(),
    write: async (value) => {
      try {
        await vault.write(value);
        lastWriteFailed = false;
      } catch (err) {
        lastWriteFailed = true;
        throw err;
      }
    },
    clear: () => vault.clear(),
  };
}

/** The OS keychain, probed with a real write; the CLI itself says when it falls back to memory. */
const openKeychainVault: VaultOpener = (location) => openVault({ ...location, fallbackToMemory: false });

function nonEmptyEnv(env: CliOptions['env'], name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The app's configuration: the file (`--config`, else `$OIDC_CONFIG`, else
 * `./electron-oidc.json` when present), then `OIDC_*` from the environment.
 * An error names the option and, where it came from, the variable or file.
 */
async function loadCliConfig(
  options: CommonOptions,
  env: CliOptions['env'],
  cwd: string,
): Promise<AuthConfig> {
  const fromEnv = nonEmptyEnv(env, 'OIDC_CONFIG');
  const given = options.config ?? fromEnv;
  const defaultFile = path.resolve(cwd, DEFAULT_CONFIG_FILE);
  const file =
    given !== undefined ? path.resolve(cwd, given) : existsSync(defaultFile) ? defaultFile : undefined;
  try {
    return await loadConfig({ ...(file === undefined ? {} : { file }), env });
  } catch (err) {
    if (!isAuthError(err, 'ERR_CONFIG')) throw err;
    const variable = Object.entries(CONFIG_ENV_VARS).find(
      ([name, option]) =>
        (option === err.option || name === err.option) && nonEmptyEnv(env, name) !== undefined,
    )?.[0];
    const fromOidcConfig = options.config === undefined && fromEnv !== undefined;
    const source =
      variable !== undefined
        ? `set by ${variable}`
        : err.option === 'configFile'
          ? fromOidcConfig
            ? 'set by OIDC_CONFIG'
            : undefined
          : file !== undefined
            ? `in ${file}${fromOidcConfig ? ', set by OIDC_CONFIG' : ''}`
            : undefined;
    const alreadySaid = variable !== undefined && err.message.includes(variable);
    throw new AuthError(
      'ERR_CONFIG',
      source === undefined || alreadySaid ? err.message : `${err.message} (${source})`,
      { cause: err, ...(err.option === undefined ? {} : { option: err.option }) },
    );
  }
}

/** The library's warnings and errors on stderr; its information lines only with `--verbose`. */
function cliLogger(stderr: Writer, verbose: boolean): Logger {
  return {
    info: (message) => {
      if (verbose) stderr.write(`electron-oidc: ${oneLine(message)}\n`);
    },
    warn: (message) => stderr.write(`warning: ${oneLine(message)}\n`),
    error: (message) => stderr.write(`warning: ${oneLine(message)}\n`),
  };
}

function describeUser(profile: Profile): string {
  if (profile.name !== undefined && profile.email !== undefined) return `${profile.name} <${profile.email}>`;
  return profile.name ?? profile.email ?? profile.sub;
}

function describeVault(ctx: CommandContext): string {
  return ctx.vault === undefined
    ? 'memory only (no OS keychain answered)'
    : `${ctx.vault.kind} (service "${ctx.location.service}", account "${ctx.location.account}")`;
}

async function login(ctx: CommandContext, signal: AbortSignal | undefined): Promise<number> {
  const profile = await ctx.auth.signIn(signal === undefined ? {} : { signal });
  ctx.stdout.write(`Signed in as ${describeUser(profile)}.\n`);
  ctx.stdout.write(
    ctx.vault?.persistent === true && !ctx.vault.lastWriteFailed
      ? `Session kept in the ${describeVault(ctx)}.\n`
      : 'The session could not be kept (see the warning above), so it ended with this command; later commands will not see it.\n',
  );
  return EXIT.ok;
}

/** Restores the stored session; writes "Not signed in." and returns false when there is none. */
async function restore(ctx: CommandContext): Promise<boolean> {
  const state = await ctx.interruptible(ctx.auth.restore());
  if (state === 'signed-out') {
    ctx.fail('Not signed in. Run "electron-oidc login" to sign in.');
    return false;
  }
  return true;
}

async function status(ctx: CommandContext): Promise<number> {
  if (!(await restore(ctx))) return EXIT.failure;
  const profile = await ctx.interruptible(ctx.auth.getProfile());
  if (profile === undefined) {
    ctx.fail('Not signed in. Run "electron-oidc login" to sign in.');
    return EXIT.failure;
  }
  const expiresAt = ctx.auth.accessTokenExpiresAt;
  const lines = [
    `Signed in as ${describeUser(profile)}${ctx.auth.state === 'offline' ? ' (offline: the provider cannot be reached)' : ''}`,
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

async function get(ctx: CommandContext, apiPath: string): Promise<number> {
  if (!(await restore(ctx))) return EXIT.failure;
  const response = await ctx.interruptible(ctx.auth.fetchApi(apiPath));
  const body = await ctx.interruptible(response.text());
  if (!response.ok) {
    const challenge = response.headers.get('www-authenticate');
    const described =
      challenge?.match(/error_description="([^"]*)"/)?.[1] ?? challenge?.match(/error="([^"]*)"/)?.[1];
    ctx.fail(
      `GET ${new URL(apiPath, ctx.config.apiBaseUrl).href} failed: HTTP ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}${described === undefined ? '' : ` (${described})`}.`,
    );
    return EXIT.failure;
  }
  ctx.stdout.write(body.endsWith('\n') || body === '' ? body : `${body}\n`);
  return EXIT.ok;
}

async function logout(ctx: CommandContext, openBrowser: boolean): Promise<number> {
  const state = await ctx.interruptible(ctx.auth.restore());
  if (state === 'signed-out') {
    // A stale or foreign entry may still be there; forget it too.
    await ctx.interruptible(ctx.auth.signOut());
    ctx.stdout.write('Not signed in; nothing to sign out.\n');
    return EXIT.ok;
  }
  const profile = await ctx.interruptible(ctx.auth.getProfile());
  const result = await ctx.interruptible(
    ctx.auth.signOut(openBrowser ? { endProviderSession: true, timeoutMs: LOGOUT_WAIT_MS } : {}),
  );
  ctx.stdout.write(
    `Signed out${profile === undefined ? '' : ` ${describeUser(profile)}`} on this device${result.revoked ? '; the provider revoked the session' : ''}.\n`,
  );
  if (result.endSessionUrl === undefined) {
    ctx.stdout.write(
      'The provider offers no end-session page; its own sign-in may still be remembered by your browser.\n',
    );
  } else if (result.providerSessionEnded === true) {
    ctx.stdout.write('Signed out at the provider too.\n');
  } else {
    ctx.stdout.write(`To sign out at the provider too, open:\n  ${result.endSessionUrl}\n`);
  }
  return EXIT.ok;
}

const VERDICT_LABEL: Readonly<Record<Verdict, string>> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

/** `doctor`: one line per check on stdout; exit 1 when any check failed (the app cannot work as configured). */
async function doctor(
  config: AuthConfig,
  stdout: Writer,
  fail: (message: string) => void,
  fetchImpl: FetchLike | undefined,
): Promise<number> {
  stdout.write(`Checking ${config.issuer.href} for client "${config.clientId}" (no sign-in needed):\n`);
  const report = await diagnoseProvider(config, fetchImpl === undefined ? {} : { fetch: fetchImpl });
  const width = Math.max(...report.checks.map((c) => c.id.length));
  for (const c of report.checks) {
    stdout.write(`${VERDICT_LABEL[c.verdict]}  ${c.id.padEnd(width)}  ${oneLine(c.message)}\n`);
  }
  const count = (verdict: Verdict) => report.checks.filter((c) => c.verdict === verdict).length;
  const failures = count('fail');
  const warnings = count('warn');
  const tally = `${count('ok')} ok, ${warnings} warning${warnings === 1 ? '' : 's'}, ${failures} failure${failures === 1 ? '' : 's'}`;
  if (!report.passed) {
    stdout.write(`${tally}.\n`);
    fail(
      `The app cannot sign in with this provider as configured: fix the FAIL line${failures === 1 ? '' : 's'} above.`,
    );
    return EXIT.failure;
  }
  stdout.write(
    `${tally}: the app can sign in with this provider as configured${warnings > 0 ? ' (the warnings name what will not work fully)' : ''}.\n`,
  );
  return EXIT.ok;
}
