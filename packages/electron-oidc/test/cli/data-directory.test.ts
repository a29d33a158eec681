import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliVaultDirectory } from '../../src/cli/data-directory.ts';

describe('the CLI keeps its session file in the per-user state folder', () => {
  it('$OIDC_VAULT_DIR wins on every platform', () => {
    expect(cliVaultDirectory({ OIDC_VAULT_DIR: '/srv/s' }, 'linux', '/home/a')).toBe(path.resolve('/srv/s'));
    expect(cliVaultDirectory({ OIDC_VAULT_DIR: '/srv/s' }, 'darwin', '/Users/a')).toBe(
      path.resolve('/srv/s'),
    );
  });

  it('Linux: $XDG_STATE_HOME, else ~/.local/state (XDG Base Directory)', () => {
    expect(cliVaultDirectory({ XDG_STATE_HOME: '/x/state' }, 'linux', '/home/a')).toBe(
      path.join('/x/state', 'electron-oidc'),
    );
    expect(cliVaultDirectory({}, 'linux', '/home/a')).toBe(
      path.join('/home/a/.local/state', 'electron-oidc'),
    );
  });

  it('Linux: a relative $XDG_STATE_HOME is ignored, as the spec says', () => {
    expect(cliVaultDirectory({ XDG_STATE_HOME: 'state' }, 'linux', '/home/a')).toBe(
      path.join('/home/a/.local/state', 'electron-oidc'),
    );
  });

  it('macOS: ~/Library/Application Support', () => {
    expect(cliVaultDirectory({}, 'darwin', '/Users/a')).toBe(
      path.join('/Users/a', 'Library', 'Application Support', 'electron-oidc'),
    );
  });

  it('Windows: %LOCALAPPDATA% (not roamed), else the profile’s AppData\\Local', () => {
    expect(cliVaultDirectory({ LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, 'win32', 'C:\\Users\\a')).toBe(
      'C:\\Users\\a\\AppData\\Local\\electron-oidc',
    );
    expect(cliVaultDirectory({}, 'win32', 'C:\\Users\\a')).toBe(
      'C:\\Users\\a\\AppData\\Local\\electron-oidc',
    );
  });
});
