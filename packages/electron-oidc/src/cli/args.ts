import { parseArgs } from 'node:util';

/** The subcommands, in the order the help lists them. */
export const COMMANDS = ['login', 'accounts', 'use', 'status', 'get', 'logout', 'doctor', 'help'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** What the command line asked for, once parsed. */
export type Invocation = { readonly kind: 'help' } | { readonly kind: 'version' } | CommandInvocation;

/** A command to run, with its options (and, for `get`, the API path; for `use`, the account). */
export type CommandInvocation =
  | {
      readonly kind: 'command';
      readonly command: 'login' | 'accounts';
      readonly options: CommonOptions;
    }
  | { readonly kind: 'command'; readonly command: 'doctor'; readonly options: CommonOptions }
  | {
      readonly kind: 'command';
      readonly command: 'status';
      /** `--account`: this account instead of the active one, for this command only. */
      readonly account: string | undefined;
      readonly options: CommonOptions;
    }
  | {
      readonly kind: 'command';
      readonly command: 'get';
      readonly path: string;
      /** `--account`: this account instead of the active one, for this command only. */
      readonly account: string | undefined;
      readonly options: CommonOptions;
    }
  | {
      readonly kind: 'command';
      readonly command: 'use';
      /** The account to make active: its id, email or subject. */
      readonly account: string;
      readonly options: CommonOptions;
    }
  | {
      readonly kind: 'command';
      readonly command: 'logout';
      /** Which accounts: the active one, one named (id, email or subject), or all. */
      readonly target: LogoutTarget;
      readonly options: CommonOptions;
    };

/** The accounts `logout` signs out of. */
export type LogoutTarget =
  | { readonly kind: 'active' }
  | { readonly kind: 'account'; readonly account: string }
  | { readonly kind: 'all' };

/** Options every subcommand accepts. */
export interface CommonOptions {
  /** `--config <file>`. */
  readonly config: string | undefined;
  /** `--vault-service <name>`. */
  readonly vaultService: string | undefined;
  /** `--vault-account <name>`. */
  readonly vaultAccount: string | undefined;
  /** `--no-browser`: print URLs instead of opening them. */
  readonly browser: boolean;
  /** `--verbose`: the library's information lines on stderr. */
  readonly verbose: boolean;
}

/** A mistake on the command line: exit code 2 and a usage hint. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage: electron-oidc <command> [options]

Commands:
  login                Sign in in the system browser; adds the account (or renews it) as the active one
  accounts             List the signed-in accounts, "*" marking the active one
  use <account>        Make an account the active one for later commands (its id, email or subject)
  status               Show who is signed in, the issuer and when the access token expires
  get <path>           Call the API with the session (e.g. get /private) and print the body
  logout [<account>]   Sign out of the active account, or of the one named: revoke the session,
                       forget it, and end it at the provider
  logout --all         Sign out of every account
  doctor               Check that the provider and client work for a desktop app (no sign-in needed)
  help                 Show this help

Options:
  --account <account>      With status and get: use this account (id, email or subject) for this
                           command only; the active account stays as it is
  --all                    With logout: sign out of every account
  --config <file>          JSON configuration file (default: $OIDC_CONFIG, else ./electron-oidc.json if present)
  --vault-service <name>   Keychain service name (default: $OIDC_VAULT_SERVICE, else "electron-oidc")
  --vault-account <name>   Keychain account name (default: $OIDC_VAULT_ACCOUNT, else "<issuer> <clientId>")
                           The keychain holds keys; the list of accounts and each account's session
                           rest encrypted in files of $OIDC_VAULT_DIR, else the user's state folder
                           (Linux: ~/.local/state/electron-oidc)
  --no-browser             Print the sign-in or sign-out URL instead of opening the browser
  --verbose                Print what the library does on stderr
  -h, --help               Show this help
  -V, --version            Print the version

Environment: OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_API_AUDIENCE, OIDC_API_BASE_URL, OIDC_SCOPES,
OIDC_REDIRECT_PORT and the other OIDC_* variables override the configuration file.
OIDC_ACCOUNTS=single keeps one account at a time (the CLI's default is "multiple").
BROWSER names the browser command ("%s" stands for the URL).

Exit status: 0 success, 1 failure (one line on stderr), 2 usage error, 130 interrupted.
`;

/** The one-line hint printed after a usage error. */
export const USAGE_HINT = 'Run "electron-oidc --help" for usage.';

/** What `parseArgs` found, before the command's own checks. */
interface ParsedLine {
  readonly values: {
    readonly config?: string | undefined;
    readonly 'vault-service'?: string | undefined;
    readonly 'vault-account'?: string | undefined;
    readonly account?: string | undefined;
    readonly all?: boolean | undefined;
    readonly browser: boolean;
    readonly verbose: boolean;
    readonly help: boolean;
    readonly version: boolean;
  };
  readonly positionals: readonly string[];
}

function parseWords(argv: readonly string[]): ParsedLine {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      allowNegative: true,
      strict: true,
      options: {
        config: { type: 'string' },
        'vault-service': { type: 'string' },
        'vault-account': { type: 'string' },
        account: { type: 'string' },
        all: { type: 'boolean' },
        browser: { type: 'boolean', default: true },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'V', default: false },
      },
    });
  } catch (err) {
    // node:util's messages are one line and name the option ("Unknown option '--x'").
    throw new UsageError(err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err));
  }
}

/** Parses `argv` (without the node and script paths). Throws {@link UsageError}. */
export function parseCommandLine(argv: readonly string[]): Invocation {
  const { values, positionals } = parseWords(argv);
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError('No command given.');
  if (command === 'help') return { kind: 'help' };
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`Unknown command "${command}"; the commands are ${COMMANDS.join(', ')}.`);
  }
  const account = nonEmpty('--account', values.account);
  if (account !== undefined && command !== 'status' && command !== 'get') {
    throw new UsageError(
      `--account applies to "status" and "get" only; ${accountHint(command as CommandName)}`,
    );
  }
  if (values.all !== undefined && command !== 'logout') {
    throw new UsageError('--all applies to "logout" only ("electron-oidc logout --all").');
  }
  const options: CommonOptions = {
    config: nonEmpty('--config', values.config),
    vaultService: nonEmpty('--vault-service', values['vault-service']),
    vaultAccount: nonEmpty('--vault-account', values['vault-account']),
    browser: values.browser,
    verbose: values.verbose,
  };
  return commandInvocation(
    command as Exclude<CommandName, 'help'>,
    rest,
    { account, all: values.all },
    options,
  );
}

/** What to type instead of `--account` with `command`. */
function accountHint(command: CommandName): string {
  switch (command) {
    case 'use':
      return 'name the account after "use" ("electron-oidc use <account>").';
    case 'logout':
      return 'name the account after "logout" ("electron-oidc logout <account>").';
    default:
      return `"${command}" acts on every account or adds one.`;
  }
}

/** The command's own arguments checked, and its invocation. */
function commandInvocation(
  command: Exclude<CommandName, 'help'>,
  rest: readonly string[],
  flags: { readonly account: string | undefined; readonly all: boolean | undefined },
  options: CommonOptions,
): CommandInvocation {
  switch (command) {
    case 'login':
    case 'accounts':
    case 'doctor':
      noArguments(command, rest);
      return { kind: 'command', command, options };
    case 'status':
      noArguments(command, rest);
      return { kind: 'command', command, account: flags.account, options };
    case 'get':
      return { kind: 'command', command, path: apiPath(rest), account: flags.account, options };
    case 'use':
      return { kind: 'command', command, account: accountToUse(rest), options };
    case 'logout':
      return { kind: 'command', command, target: logoutTarget(rest, flags.all === true), options };
  }
}

function noArguments(command: string, rest: readonly string[]): void {
  if (rest.length > 0) throw new UsageError(`"${command}" takes no arguments (got "${rest.join(' ')}").`);
}

function apiPath(rest: readonly string[]): string {
  const [path, ...extra] = rest;
  if (path === undefined || path === '') {
    throw new UsageError('"get" needs the API path to call, e.g. "electron-oidc get /private".');
  }
  if (extra.length > 0) throw new UsageError(`"get" takes one path (got "${rest.join(' ')}").`);
  return path;
}

function accountToUse(rest: readonly string[]): string {
  const [account, ...extra] = rest;
  if (account === undefined || account.trim() === '') {
    throw new UsageError(
      '"use" needs the account to make active (its id, email or subject), e.g. "electron-oidc use alice@example.com"; "electron-oidc accounts" lists them.',
    );
  }
  if (extra.length > 0) throw new UsageError(`"use" takes one account (got "${rest.join(' ')}").`);
  return account;
}

function logoutTarget(rest: readonly string[], all: boolean): LogoutTarget {
  const [account, ...extra] = rest;
  if (all && account !== undefined) {
    throw new UsageError(
      `"logout --all" signs out of every account; name no account with it (got "${rest.join(' ')}").`,
    );
  }
  if (all) return { kind: 'all' };
  if (account === undefined) return { kind: 'active' };
  if (account.trim() === '') throw new UsageError('"logout" needs a non-empty account, or none.');
  if (extra.length > 0) throw new UsageError(`"logout" takes one account (got "${rest.join(' ')}").`);
  return { kind: 'account', account };
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${flag} needs a non-empty value.`);
  return value;
}
