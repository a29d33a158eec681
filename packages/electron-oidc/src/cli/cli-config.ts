import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  CONFIG_ENV_VARS,
  defineConfig,
  loadConfigFromEnv,
  mergeConfig,
  readConfigFile,
} from '../core/config.ts';
import type { AuthConfig, AuthConfigInput } from '../core/config.ts';
import { AuthError, isAuthError } from '../core/errors.ts';
import type { CommonOptions } from './args.ts';

/** The environment the CLI reads. */
export type CliEnv = Readonly<Record<string, string | undefined>>;

/** The default configuration file, looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = 'electron-oidc.json';

/**
 * The CLI's own defaults, under the file and the environment: a terminal
 * keeps several accounts (`login` adds one, `use` picks the active one)
 * unless `accounts` or `OIDC_ACCOUNTS` says `single`.
 */
export const CLI_CONFIG_DEFAULTS: Readonly<AuthConfigInput> = Object.freeze({ accounts: 'multiple' });

/** A variable's value, trimmed; `undefined` when unset or blank. */
export function nonEmptyEnv(env: CliEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** `--config` or `$OIDC_CONFIG` resolved against `cwd`, else `./electron-oidc.json` when present. */
function configFile(given: string | undefined, cwd: string): string | undefined {
  if (given !== undefined) return path.resolve(cwd, given);
  const defaultFile = path.resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(defaultFile) ? defaultFile : undefined;
}

/** Where a configuration error came from, as the CLI's user set it. */
interface ErrorOrigin {
  /** The `OIDC_*` variable that set the faulty option, when one did. */
  readonly variable: string | undefined;
  /** The configuration file read, if any. */
  readonly file: string | undefined;
  /** Whether the file was named by `$OIDC_CONFIG` rather than `--config`. */
  readonly fromOidcConfig: boolean;
}

/** The variable that set the option `err` names (`OIDC_REDIRECT_PORT` for `redirectPort`…), if set. */
function variableOf(err: AuthError, env: CliEnv): string | undefined {
  return Object.entries(CONFIG_ENV_VARS).find(
    ([name, option]) =>
      (option === err.option || name === err.option) && nonEmptyEnv(env, name) !== undefined,
  )?.[0];
}

/** The parenthesis that says where the faulty value was set, or `undefined` when there is nothing to add. */
function describeOrigin(err: AuthError, origin: ErrorOrigin): string | undefined {
  if (origin.variable !== undefined) return `set by ${origin.variable}`;
  if (err.option === 'configFile') return origin.fromOidcConfig ? 'set by OIDC_CONFIG' : undefined;
  if (origin.file === undefined) return undefined;
  return `in ${origin.file}${origin.fromOidcConfig ? ', set by OIDC_CONFIG' : ''}`;
}

/**
 * The app's configuration: the CLI's defaults ({@link CLI_CONFIG_DEFAULTS}),
 * then the file (`--config`, else `$OIDC_CONFIG`, else
 * `./electron-oidc.json` when present), then `OIDC_*` from the environment.
 * An error names the option and, where it came from, the variable or file.
 */
export async function loadCliConfig(options: CommonOptions, env: CliEnv, cwd: string): Promise<AuthConfig> {
  const fromEnv = nonEmptyEnv(env, 'OIDC_CONFIG');
  const file = configFile(options.config ?? fromEnv, cwd);
  try {
    const fromFile = file === undefined ? undefined : await readConfigFile(file);
    return defineConfig(mergeConfig(CLI_CONFIG_DEFAULTS, fromFile, loadConfigFromEnv(env)));
  } catch (err) {
    if (!isAuthError(err, 'ERR_CONFIG')) throw err;
    const variable = variableOf(err, env);
    const source = describeOrigin(err, {
      variable,
      file,
      fromOidcConfig: options.config === undefined && fromEnv !== undefined,
    });
    const alreadySaid = variable !== undefined && err.message.includes(variable);
    throw new AuthError(
      'ERR_CONFIG',
      source === undefined || alreadySaid ? err.message : `${err.message} (${source})`,
      { cause: err, ...(err.option === undefined ? {} : { option: err.option }) },
    );
  }
}
