import { describe, expect, it } from 'vitest';
import { SESSION_COMMANDS } from '../../src/cli/commands.ts';
import type { SessionContext } from '../../src/cli/session.ts';
import { terminalOf } from '../../src/cli/terminal.ts';
import { defineConfig } from '../../src/core/config.ts';
import type { DesktopAuth } from '../../src/core/desktop-auth.ts';
import { MemoryVault } from '../../src/core/vault/memory-vault.ts';
import { captureWriter } from '@electron-oidc/test-support/cli';

/** A `login` run against a session that signs alice in and reports `sessionPersisted`. */
async function login(sessionPersisted: boolean | undefined) {
  const stdout = captureWriter();
  const stderr = captureWriter();
  const auth = {
    signIn: async () => ({ sub: 'alice-sub', name: 'Alice', email: 'alice@example.com' }),
    sessionPersisted,
  } as unknown as DesktopAuth;
  const vault = Object.assign(new MemoryVault(), { kind: 'keychain', persistent: true });
  const ctx: SessionContext = {
    ...terminalOf(stdout, stderr),
    auth,
    config: defineConfig(),
    vault,
    location: { service: 'svc', account: 'acct', directory: '/home/alice/.local/state/electron-oidc' },
    browser: false,
    signal: undefined,
    interruptible: (work) => work,
  };
  const code = await SESSION_COMMANDS.login.run(ctx, {
    kind: 'command',
    command: 'login',
    options: {
      config: undefined,
      vaultService: undefined,
      vaultAccount: undefined,
      browser: false,
      verbose: false,
    },
  });
  return { code, stdout: stdout.text() };
}

describe('login reports what the library says about keeping the session (DesktopAuth.sessionPersisted)', () => {
  it('says where the session is kept when the vault took it', async () => {
    const r = await login(true);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Signed in as Alice <alice@example.com>.\nSession kept in the keychain (service "svc", account "acct").\n',
    );
  });

  it('says the session ends with the command when the keychain refused it, even with a keychain open', async () => {
    const r = await login(false);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('The session could not be kept');
    expect(r.stdout).not.toContain('Session kept in');
  });
});
