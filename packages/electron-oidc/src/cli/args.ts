import { parseArgs } from 'node:util';

/** The subcommands, in the order the help lists them. */
export const COMMANDS = ['login', 'status', 'get', 'logout', 'doctor', 'help'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** What the command line asked for, once parsed. */
export type Invocation = { readonly kind: 'help' } | { readonly kind: 'version' } | CommandInvocation;

/** A command to run, with its options (and, for `get`, the API path). */
export type CommandInvocation =
  | {
      readonly kind: 'command';
      readonly command: 'login' | 'status' | 'logout';
      readonly options: CommonOptions;
    }
  | { readonly kind: 'command'; readonly command: 'doctor'; readonly options: CommonOptions }
  | {
      readonly kind: 'command';
      readonly command: 'get';
      readonly path: string;
      readonly options: CommonOptions;
    };

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
  login           Sign in in the system browser and keep the session in the OS keychain
  status          Show who is signed in, the issuer and when the access token expires
  get <path>      Call the API with the session (e.g. get /private) and print the body
  logout          Revoke the session, forget it, and end it at the provider
  doctor          Check that the provider and client work for a desktop app (no sign-in needed)
  help            Show this help

Options:
  --config <file>          JSON configuration file (default: $OIDC_CONFIG, else ./electron-oidc.json if present)
  --vault-service <name>   Keychain service name (default: $OIDC_VAULT_SERVICE, else "electron-oidc")
  --vault-account <name>   Keychain account name (default: $OIDC_VAULT_ACCOUNT, else "<issuer> <clientId>")
                           The keychain holds a key; the session rests encrypted in a file of
                           $OIDC_VAULT_DIR, else the user's state folder (Linux: ~/.local/state/electron-oidc)
  --no-browser             Print the sign-in or sign-out URL instead of opening the browser
  --verbose                Print what the library does on stderr
  -h, --help               Show this help
  -V, --version            Print the version

Environment: OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_API_AUDIENCE, OIDC_API_BASE_URL, OIDC_SCOPES,
OIDC_REDIRECT_PORT and the other OIDC_* variables override the configuration file.
BROWSER names the browser command ("%s" stands for the URL).

Exit status: 0 success, 1 failure (one line on stderr), 2 usage error, 130 interrupted.
`;

/** The one-line hint printed after a usage error. */
export const USAGE_HINT = 'Run "electron-oidc --help" for usage.';

/** Parses `argv` (without the node and script paths). Throws {@link UsageError}. */
export function parseCommandLine(argv: readonly string[]): Invocation {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      allowNegative: true,
      strict: true,
      options: {
        config: { type: 'string' },
        'vault-service': { type: 'string' },
        'vault-account': { type: 'string' },
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
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError('No command given.');
  const options: CommonOptions = {
    config: nonEmpty('--config', values.config),
    vaultService: nonEmpty('--vault-service', values['vault-service']),
    vaultAccount: nonEmpty('--vault-account', values['vault-account']),
    browser: values.browser,
    verbose: values.verbose,
  };
  switch (command) {
    case 'help':
      return { kind: 'help' };
    case 'login':
    case 'status':
    case 'logout':
    case 'doctor':
      if (rest.length > 0) throw new UsageError(`"${command}" takes no arguments (got "${rest.join(' ')}").`);
      return { kind: 'command', command, options };
    case 'get': {
      const [path, ...extra] = rest;
      if (path === undefined || path === '') {
        throw new UsageError('"get" needs the API path to call, e.g. "electron-oidc get /private".');
      }
      if (extra.length > 0) throw new UsageError(`"get" takes one path (got "${rest.join(' ')}").`);
      return { kind: 'command', command: 'get', path, options };
    }
    default:
      throw new UsageError(`Unknown command "${command}"; the commands are ${COMMANDS.join(', ')}.`);
  }
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${flag} needs a non-empty value.`);
  return value;
}
