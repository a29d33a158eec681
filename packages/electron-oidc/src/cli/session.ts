import type { AuthConfig } from '../core/config.ts';
import { createDesktopAuth } from '../core/desktop-auth.ts';
import type { DesktopAuth } from '../core/desktop-auth.ts';
import type { Logger } from '../core/logger.ts';
import type { FetchLike } from '../core/fetch-like.ts';
import { createSystemBrowserOpener } from '../core/system-browser.ts';
import type { BrowserOpener } from '../core/system-browser.ts';
import { DEFAULT_KEYCHAIN_SERVICE, keychainAccount } from '../core/vault/keyring-vault.ts';
import { MemoryVault } from '../core/vault/memory-vault.ts';
import { openVault } from '../core/vault/open-vault.ts';
import type { Vault } from '../core/vault/vault.ts';
import type { CommonOptions } from './args.ts';
import { cliVaultDirectory } from './data-directory.ts';
import { nonEmptyEnv } from './cli-config.ts';
import type { CliEnv } from './cli-config.ts';
import { cliLogger, messageOf, oneLine } from './terminal.ts';
import type { Terminal } from './terminal.ts';

/** Where the session rests: its key in the OS keychain, the session itself encrypted in a file of `directory`. */
export interface KeychainLocation {
  readonly service: string;
  readonly account: string;
  readonly directory: string;
}

/** Opens the vault at a keychain location; rejects when no keychain answers. */
export type VaultOpener = (location: KeychainLocation) => Promise<Vault>;

/** What a command that uses the session works with. */
export interface SessionContext extends Terminal {
  readonly auth: DesktopAuth;
  readonly config: AuthConfig;
  /** The OS keychain's vault, or `undefined` when none answered (the session is then in memory only). */
  readonly vault: Vault | undefined;
  readonly location: KeychainLocation;
  /** Whether URLs are opened in the browser (`--no-browser`: printed only). */
  readonly browser: boolean;
  /** Aborted on Ctrl-C. */
  readonly signal: AbortSignal | undefined;
  /** `work`, or an {@link Interrupted} rejection as soon as {@link SessionContext.signal} aborts. */
  interruptible<T>(work: Promise<T>): Promise<T>;
}

/** What the CLI's session is built from. */
export interface SessionSources {
  readonly options: CommonOptions;
  readonly config: AuthConfig;
  readonly env: CliEnv;
  readonly terminal: Terminal;
  /** Printed above every URL the command opens, e.g. "Open this URL in your browser". */
  readonly urlPurpose: string;
  readonly openVault: VaultOpener | undefined;
  readonly openBrowser: BrowserOpener | undefined;
  readonly fetch: FetchLike | undefined;
  readonly signal: AbortSignal | undefined;
}

/** Ctrl-C during a command. */
export class Interrupted extends Error {
  constructor() {
    super('Interrupted.');
    this.name = 'Interrupted';
  }
}

/** The OS keychain, probed with a real write; the CLI itself says when it falls back to memory. */
const openKeychainVault: VaultOpener = (location) => openVault({ ...location, fallbackToMemory: false });

/**
 * `--vault-service`/`--vault-account`, else `$OIDC_VAULT_SERVICE`/`$OIDC_VAULT_ACCOUNT`, else the
 * library's defaults; the session file in {@link cliVaultDirectory}.
 */
function keychainLocation(options: CommonOptions, env: CliEnv, config: AuthConfig): KeychainLocation {
  return {
    service: options.vaultService ?? nonEmptyEnv(env, 'OIDC_VAULT_SERVICE') ?? DEFAULT_KEYCHAIN_SERVICE,
    account:
      options.vaultAccount ??
      nonEmptyEnv(env, 'OIDC_VAULT_ACCOUNT') ??
      keychainAccount(config.issuer.href, config.clientId),
    directory: cliVaultDirectory(env),
  };
}

/** The keychain's vault, or `undefined` with a warning (DESIGN "Vault": say so, and keep the session in memory only). */
async function openKeychainOrWarn(
  open: VaultOpener,
  location: KeychainLocation,
  logger: Logger,
): Promise<Vault | undefined> {
  try {
    return await open(location);
  } catch (err) {
    logger.warn(
      `${messageOf(err)} The session is kept in memory only and will not persist: it ends with this command.`,
    );
    return undefined;
  }
}

/**
 * Prints the URL first, for terminals without a browser, and keeps waiting
 * when the browser cannot be opened: the user can open the URL by hand and
 * Ctrl-C still cancels.
 */
function announcingOpener(sources: SessionSources, logger: Logger): BrowserOpener {
  const systemOpener = sources.openBrowser ?? createSystemBrowserOpener({ env: { ...sources.env } });
  return async (url) => {
    sources.terminal.stderr.write(`${sources.urlPurpose}:\n  ${url}\n`);
    if (!sources.options.browser) return;
    try {
      await systemOpener(url);
    } catch (err) {
      logger.warn(`${oneLine(messageOf(err))} Open the URL above in a browser yourself.`);
    }
  };
}

function interruptibleBy(signal: AbortSignal | undefined) {
  return <T>(work: Promise<T>): Promise<T> => {
    if (signal === undefined) return work;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new Interrupted());
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };
}

/** Opens the keychain and builds the session a command runs on. Close it with `auth.close()`. */
export async function openSession(sources: SessionSources): Promise<SessionContext> {
  const { options, config, terminal } = sources;
  const location = keychainLocation(options, sources.env, config);
  const logger = cliLogger(terminal.stderr, options.verbose);
  const vault = await openKeychainOrWarn(sources.openVault ?? openKeychainVault, location, logger);
  const auth = createDesktopAuth({
    config,
    // No keychain: memory, as the warning said, not the library's default keychain entry.
    vault: vault ?? new MemoryVault(),
    openBrowser: announcingOpener(sources, logger),
    logger,
    ...(sources.fetch === undefined ? {} : { fetch: sources.fetch }),
  });
  return {
    ...terminal,
    auth,
    config,
    vault,
    location,
    browser: options.browser,
    signal: sources.signal,
    interruptible: interruptibleBy(sources.signal),
  };
}
