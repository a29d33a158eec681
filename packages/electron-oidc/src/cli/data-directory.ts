import os from 'node:os';
import path from 'node:path';
import type { CliEnv } from './cli-config.ts';
import { nonEmptyEnv } from './cli-config.ts';

/** The folder name under the platform's per-user data folder. */
const APP_FOLDER = 'electron-oidc';

/**
 * Where the CLI keeps the encrypted session file (the keychain holds its
 * key): `$OIDC_VAULT_DIR` when set, else the platform's per-user folder for
 * application state — `$XDG_STATE_HOME` or `~/.local/state` on Linux (XDG Base
 * Directory spec), `~/Library/Application Support` on macOS, `%LOCALAPPDATA%`
 * on Windows (not roamed to other machines, as a device-bound session should not be).
 */
export function cliVaultDirectory(
  env: CliEnv,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const given = nonEmptyEnv(env, 'OIDC_VAULT_DIR');
  if (given !== undefined) return path.resolve(given);
  if (platform === 'win32') {
    return path.win32.join(
      nonEmptyEnv(env, 'LOCALAPPDATA') ?? path.win32.join(home, 'AppData', 'Local'),
      APP_FOLDER,
    );
  }
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_FOLDER);
  const state = nonEmptyEnv(env, 'XDG_STATE_HOME');
  // XDG: a relative path in the variable is invalid and must be ignored.
  const base = state !== undefined && path.isAbsolute(state) ? state : path.join(home, '.local', 'state');
  return path.join(base, APP_FOLDER);
}
