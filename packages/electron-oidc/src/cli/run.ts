import packageJson from '../../package.json' with { type: 'json' };
import type { AuthConfig } from '../core/config.ts';
import { isAuthError } from '../core/errors.ts';
import type { FetchLike } from '../core/fetch-like.ts';
import type { BrowserOpener } from '../core/system-browser.ts';
import { parseCommandLine, USAGE, USAGE_HINT, UsageError } from './args.ts';
import type { CommandInvocation, Invocation } from './args.ts';
import { loadCliConfig } from './cli-config.ts';
import type { CliEnv } from './cli-config.ts';
import { SESSION_COMMANDS } from './commands.ts';
import type { SessionCommand, SessionInvocation } from './commands.ts';
import { doctor } from './doctor.ts';
import { EXIT } from './exit.ts';
import { proxyFetch } from './network.ts';
import { Interrupted, openSession } from './session.ts';
import type { SessionContext, VaultOpener } from './session.ts';
import { messageOf, terminalOf } from './terminal.ts';
import type { Terminal, Writer } from './terminal.ts';

export { DEFAULT_CONFIG_FILE } from './cli-config.ts';
export { LOGOUT_WAIT_MS } from './commands.ts';
export { EXIT } from './exit.ts';
export type { KeychainLocation, VaultOpener } from './session.ts';
export type { Writer } from './terminal.ts';

/** Everything the CLI touches, injectable so tests can run it in-process. */
export interface CliOptions {
  /** The arguments after the script path, e.g. `['get', '/private']`. */
  argv: readonly string[];
  env: CliEnv;
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
  /** Default: through the proxy `$HTTPS_PROXY`/`$HTTP_PROXY` name (see `proxyFetch`), else the global `fetch`. */
  fetch?: FetchLike;
}

/** `help` and `version`: nothing to configure, nothing to open. */
const INFO_COMMANDS: Readonly<Record<'help' | 'version', (terminal: Terminal) => number>> = Object.freeze({
  help: (terminal: Terminal) => {
    terminal.stdout.write(USAGE);
    return EXIT.ok;
  },
  version: (terminal: Terminal) => {
    terminal.stdout.write(`${packageJson.version}\n`);
    return EXIT.ok;
  },
});

/** The parsed command line, or `undefined` after reporting a usage error. */
function parseOrExplain(argv: readonly string[], terminal: Terminal): Invocation | undefined {
  try {
    return parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    terminal.fail(err.message);
    terminal.stderr.write(`${USAGE_HINT}\n`);
    return undefined;
  }
}

/** The configuration, or `undefined` after reporting what is wrong with it. */
async function configOrExplain(
  invocation: CommandInvocation,
  options: CliOptions,
  terminal: Terminal,
): Promise<AuthConfig | undefined> {
  try {
    return await loadCliConfig(invocation.options, options.env, options.cwd ?? process.cwd());
  } catch (err) {
    if (!isAuthError(err)) throw err;
    terminal.fail(err.message);
    return undefined;
  }
}

/** Reports a command's failure on one line and gives its exit code. */
function exitCodeOf(err: unknown, ctx: SessionContext, verbose: boolean): number {
  const interrupted =
    err instanceof Interrupted || (ctx.signal?.aborted === true && isAuthError(err, 'ERR_SIGN_IN_CANCELLED'));
  if (interrupted || isAuthError(err)) {
    ctx.fail(messageOf(err));
    return interrupted ? EXIT.interrupted : EXIT.failure;
  }
  ctx.fail(`Unexpected error: ${messageOf(err)}`);
  if (verbose && err instanceof Error && err.stack !== undefined) ctx.stderr.write(`${err.stack}\n`);
  return EXIT.failure;
}

/** Runs a command on the session: opens the keychain and the session, runs, reports, closes. */
async function runSessionCommand(
  invocation: SessionInvocation,
  config: AuthConfig,
  options: CliOptions,
  terminal: Terminal,
): Promise<number> {
  // The table is keyed by command, so the entry fits this invocation.
  const command = SESSION_COMMANDS[invocation.command] as SessionCommand;
  const ctx = await openSession({
    options: invocation.options,
    config,
    env: options.env,
    terminal,
    urlPurpose: command.urlPurpose(invocation.options.browser),
    openVault: options.openVault,
    openBrowser: options.openBrowser,
    fetch: options.fetch,
    signal: options.signal,
  });
  try {
    return await command.run(ctx, invocation);
  } catch (err) {
    return exitCodeOf(err, ctx, invocation.options.verbose);
  } finally {
    ctx.auth.close();
  }
}

/**
 * Runs one CLI invocation and resolves with its exit code. Never throws:
 * expected failures print one line on stderr, usage errors a usage hint too.
 */
export async function runCli(options: CliOptions): Promise<number> {
  const terminal = terminalOf(options.stdout, options.stderr);
  const invocation = parseOrExplain(options.argv, terminal);
  if (invocation === undefined) return EXIT.usage;
  if (invocation.kind !== 'command') return INFO_COMMANDS[invocation.kind](terminal);
  const config = await configOrExplain(invocation, options, terminal);
  if (config === undefined) return EXIT.failure;
  const network = { ...options, fetch: options.fetch ?? proxyFetch(options.env) };
  if (invocation.command === 'doctor') return doctor(config, terminal, network.fetch);
  return runSessionCommand(invocation, config, network, terminal);
}
