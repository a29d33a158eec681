import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { parseCommandLine, UsageError } from '../../src/cli/args.ts';
import { loadCliConfig } from '../../src/cli/cli-config.ts';
import { runCli } from '../../src/cli/run.ts';
import type { CliOptions } from '../../src/cli/run.ts';
import { AuthError } from '../../src/core/errors.ts';
import { captureWriter } from '@electron-oidc/test-support/cli';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'electron-oidc-cli-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

/** Runs the CLI in-process; no keychain, no browser, no network unless a test asks. */
async function run(argv: string[], options: Partial<CliOptions> = {}) {
  const stdout = captureWriter();
  const stderr = captureWriter();
  const code = await runCli({
    argv,
    env: {},
    cwd,
    stdout,
    stderr,
    openVault: async () => {
      throw new AuthError('ERR_VAULT_UNAVAILABLE', 'No keychain in this test.');
    },
    openBrowser: async () => {
      throw new Error('no browser in this test');
    },
    ...options,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('usage errors exit 2 with a usage hint', () => {
  it('rejects an unknown command and lists the commands', async () => {
    const r = await run(['signin']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([
      'electron-oidc: Unknown command "signin"; the commands are login, accounts, use, status, get, logout, doctor, help.',
      'Run "electron-oidc --help" for usage.',
    ]);
  });

  it('rejects "get" without a path', async () => {
    const r = await run(['get']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"get" needs the API path');
    expect(r.stderr).toContain('--help');
  });

  it('rejects no command, an unknown option, and extra arguments', async () => {
    for (const argv of [[], ['status', '--frobnicate'], ['status', 'now'], ['get', '/a', '/b']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(lines(r.stderr)).toHaveLength(2);
    }
  });

  it('rejects an empty --config', () => {
    expect(() => parseCommandLine(['status', '--config', ''])).toThrow(UsageError);
  });
});

describe('help and version', () => {
  it('prints the usage for --help, -h and help, exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['get', '--help']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: electron-oidc <command>/);
      for (const command of [
        'login',
        'accounts',
        'use <account>',
        'status',
        'get <path>',
        'logout [<account>]',
        'logout --all',
        '--account <account>',
      ]) {
        expect(r.stdout).toContain(command);
      }
      expect(r.stderr).toBe('');
    }
  });

  it('prints the package version for --version and -V', async () => {
    for (const argv of [['--version'], ['-V']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${packageJson.version}\n`);
    }
  });

  it('parses the options every command shares', () => {
    expect(
      parseCommandLine([
        'get',
        '/private',
        '--config',
        'a.json',
        '--vault-service',
        's',
        '--vault-account',
        'a',
        '--no-browser',
      ]),
    ).toEqual({
      kind: 'command',
      command: 'get',
      path: '/private',
      account: undefined,
      options: { config: 'a.json', vaultService: 's', vaultAccount: 'a', browser: false, verbose: false },
    });
  });
});

describe('the account commands and options', () => {
  const options = {
    config: undefined,
    vaultService: undefined,
    vaultAccount: undefined,
    browser: true,
    verbose: false,
  };
  const parsed = (...argv: string[]) => parseCommandLine(argv);
  const usageError = (...argv: string[]) => {
    try {
      parseCommandLine(argv);
    } catch (err) {
      if (err instanceof UsageError) return err.message;
      throw err;
    }
    throw new Error(`"${argv.join(' ')}" was accepted`);
  };

  it('parses "accounts"', () => {
    expect(parsed('accounts')).toEqual({ kind: 'command', command: 'accounts', options });
  });

  it('parses "use <account>" with an id, an email or a subject', () => {
    for (const account of ['x4bMIbaxvHJESE-R', 'Alice@Example.com', 'alice']) {
      expect(parsed('use', account)).toEqual({ kind: 'command', command: 'use', account, options });
    }
  });

  it('parses --account for "status" and "get", before or after the command, and --account=<x>', () => {
    expect(parsed('status', '--account', 'alice@example.com')).toEqual({
      kind: 'command',
      command: 'status',
      account: 'alice@example.com',
      options,
    });
    expect(parsed('--account=bob', 'get', '/private')).toEqual({
      kind: 'command',
      command: 'get',
      path: '/private',
      account: 'bob',
      options,
    });
    expect(parsed('status')).toEqual({ kind: 'command', command: 'status', account: undefined, options });
  });

  it('parses "logout", "logout <account>" and "logout --all"', () => {
    expect(parsed('logout')).toEqual({
      kind: 'command',
      command: 'logout',
      target: { kind: 'active' },
      options,
    });
    expect(parsed('logout', 'bob@example.com')).toEqual({
      kind: 'command',
      command: 'logout',
      target: { kind: 'account', account: 'bob@example.com' },
      options,
    });
    expect(parsed('logout', '--all')).toEqual({
      kind: 'command',
      command: 'logout',
      target: { kind: 'all' },
      options,
    });
    expect(parsed('--all', 'logout', '--no-browser')).toEqual({
      kind: 'command',
      command: 'logout',
      target: { kind: 'all' },
      options: { ...options, browser: false },
    });
  });

  it('refuses "use" without an account, with an empty one, or with two', () => {
    expect(usageError('use')).toMatch(
      /^"use" needs the account to make active .*"electron-oidc accounts" lists them\.$/,
    );
    expect(usageError('use', '')).toMatch(/^"use" needs the account/);
    expect(usageError('use', '  ')).toMatch(/^"use" needs the account/);
    expect(usageError('use', 'alice', 'bob')).toBe('"use" takes one account (got "alice bob").');
  });

  it('refuses "logout --all" with an account, and "logout" with two', () => {
    expect(usageError('logout', '--all', 'bob')).toBe(
      '"logout --all" signs out of every account; name no account with it (got "bob").',
    );
    expect(usageError('logout', 'bob', '--all')).toMatch(/^"logout --all" signs out of every account/);
    expect(usageError('logout', 'alice', 'bob')).toBe('"logout" takes one account (got "alice bob").');
    expect(usageError('logout', '')).toBe('"logout" needs a non-empty account, or none.');
  });

  it('refuses --account where it does not apply, and says what to type instead', () => {
    expect(usageError('use', '--account', 'bob')).toBe(
      '--account applies to "status" and "get" only; name the account after "use" ("electron-oidc use <account>").',
    );
    expect(usageError('logout', '--account', 'bob')).toBe(
      '--account applies to "status" and "get" only; name the account after "logout" ("electron-oidc logout <account>").',
    );
    for (const command of ['login', 'accounts', 'doctor']) {
      expect(usageError(command, '--account', 'bob')).toBe(
        `--account applies to "status" and "get" only; "${command}" acts on every account or adds one.`,
      );
    }
  });

  it('refuses an empty --account, --account without a value, and --all outside "logout"', () => {
    expect(usageError('status', '--account', '')).toBe('--account needs a non-empty value.');
    expect(usageError('status', '--account')).toMatch(/--account/);
    for (const command of ['login', 'status', 'accounts', 'doctor']) {
      expect(usageError(command, '--all')).toBe(
        '--all applies to "logout" only ("electron-oidc logout --all").',
      );
    }
    expect(usageError('get', '/private', '--all')).toMatch(/^--all applies to "logout" only/);
  });

  it('refuses unknown options and extra arguments of the account commands', () => {
    expect(usageError('accounts', '--long')).toMatch(/^Unknown option '--long'/);
    expect(usageError('accounts', 'all')).toBe('"accounts" takes no arguments (got "all").');
    expect(usageError('use', 'bob', '--force')).toMatch(/^Unknown option '--force'/);
    expect(usageError('logout', '--everyone')).toMatch(/^Unknown option '--everyone'/);
    expect(usageError('status', 'bob')).toBe('"status" takes no arguments (got "bob").');
  });

  it('exits 2 with the usage hint for each bad form', async () => {
    for (const argv of [
      ['use'],
      ['logout', '--all', 'bob'],
      ['accounts', '--long'],
      ['login', '--account', 'x'],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr)).toHaveLength(2);
      expect(lines(r.stderr)[1]).toBe('Run "electron-oidc --help" for usage.');
    }
  });
});

describe('configuration errors exit 1 with one line naming the option', () => {
  it('names the option and the variable for a plain-http, non-loopback OIDC_ISSUER', async () => {
    const r = await run(['status'], { env: { OIDC_ISSUER: 'http://example.com' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^electron-oidc: Invalid configuration "issuer": .*use https.*\(set by OIDC_ISSUER\)\n$/,
    );
  });

  it('names the variable for a malformed number', async () => {
    const r = await run(['login'], { env: { OIDC_REDIRECT_PORT: 'eighty' } });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      'electron-oidc: Invalid environment variable OIDC_REDIRECT_PORT: "eighty" is not a whole number.',
    ]);
  });

  it('names the file for a bad value in --config, and for a missing or invalid file', async () => {
    const file = path.join(cwd, 'bad.json');
    await writeFile(file, JSON.stringify({ clientId: 'app', scopes: 'profile email' }));
    let r = await run(['status', '--config', 'bad.json']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `electron-oidc: Invalid configuration "scopes": must include "openid": the library signs users in with OpenID Connect. (in ${file})`,
    ]);

    r = await run(['status', '--config', 'missing.json']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `electron-oidc: Cannot read the configuration file ${path.join(cwd, 'missing.json')}; check the path.`,
    ]);

    await writeFile(path.join(cwd, 'broken.json'), '{ "issuer": ');
    r = await run(['status'], { env: { OIDC_CONFIG: 'broken.json' } });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`${path.join(cwd, 'broken.json')} is not valid JSON. (set by OIDC_CONFIG)`);
  });

  it('reads ./electron-oidc.json when present, the environment winning over it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'electron-oidc-cli-default-'));
    try {
      await writeFile(
        path.join(dir, 'electron-oidc.json'),
        JSON.stringify({ issuer: 'ftp://login.example.com' }),
      );
      let r = await run(['status'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain(`Invalid configuration "issuer"`);
      expect(r.stderr).toContain(`(in ${path.join(dir, 'electron-oidc.json')})`);

      // OIDC_ISSUER overrides the file's bad issuer, so the command gets as far as the vault.
      r = await run(['status'], { cwd: dir, env: { OIDC_ISSUER: 'http://127.0.0.1:4000' } });
      expect(r.stderr).not.toContain('Invalid configuration');
      expect(r.stderr).toContain('Not signed in.');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the CLI keeps several accounts unless told otherwise', () => {
  const noOptions = {
    config: undefined,
    vaultService: undefined,
    vaultAccount: undefined,
    browser: true,
    verbose: false,
  };

  it('defaults to accounts "multiple" (the library\'s own default is "single")', async () => {
    expect((await loadCliConfig(noOptions, {}, cwd)).accounts).toBe('multiple');
  });

  it('takes "single" from the configuration file, and OIDC_ACCOUNTS over the file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'electron-oidc-cli-accounts-'));
    try {
      await writeFile(path.join(dir, 'electron-oidc.json'), JSON.stringify({ accounts: 'single' }));
      expect((await loadCliConfig(noOptions, {}, dir)).accounts).toBe('single');
      expect((await loadCliConfig(noOptions, { OIDC_ACCOUNTS: 'multiple' }, dir)).accounts).toBe('multiple');
      expect((await loadCliConfig(noOptions, { OIDC_ACCOUNTS: 'single' }, cwd)).accounts).toBe('single');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the variable for a bad OIDC_ACCOUNTS', async () => {
    const r = await run(['accounts'], { env: { OIDC_ACCOUNTS: 'several' } });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      expect.stringMatching(/^electron-oidc: Invalid configuration "accounts": .*\(set by OIDC_ACCOUNTS\)$/),
    ]);
  });
});

describe('no keychain: memory only, said out loud', () => {
  it('warns that the session will not persist, then reports "Not signed in." with exit 1', async () => {
    const r = await run(['status']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      'warning: No keychain in this test. The session is kept in memory only and will not persist: it ends with this command.',
      'electron-oidc: Not signed in. Run "electron-oidc login" to sign in.',
    ]);
  });

  it('asks the vault opener for the configured service, account and folder', async () => {
    const asked: unknown[] = [];
    await run(['status', '--vault-service', 'svc'], {
      env: { OIDC_VAULT_ACCOUNT: 'acct', OIDC_VAULT_DIR: '/srv/sessions' },
      openVault: async (location) => {
        asked.push(location);
        throw new AuthError('ERR_VAULT_UNAVAILABLE', 'none');
      },
    });
    await run(['status'], {
      openVault: async (location) => {
        asked.push(location);
        throw new AuthError('ERR_VAULT_UNAVAILABLE', 'none');
      },
    });
    expect(asked).toEqual([
      { service: 'svc', account: 'acct', directory: path.resolve('/srv/sessions') },
      {
        service: 'electron-oidc',
        account: 'http://127.0.0.1:4000/ desktop-app',
        directory: expect.stringMatching(/[/\\]electron-oidc$/),
      },
    ]);
  });

  it('"No accounts signed in." with exit 1 for accounts, and "use" names no account', async () => {
    let r = await run(['accounts']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr).at(-1)).toBe(
      'electron-oidc: No accounts signed in. Run "electron-oidc login" to sign in.',
    );
    r = await run(['use', 'alice@example.com']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr).at(-1)).toBe(
      'electron-oidc: No account is signed in, so none is "alice@example.com". Run "electron-oidc login" to sign in.',
    );
  });

  it('says "nothing to sign out" and exits 0 for logout when not signed in', async () => {
    const r = await run(['logout']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Not signed in; nothing to sign out.\n');
  });
});
