import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { parseCommandLine, UsageError } from '../../src/cli/args.ts';
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
      'electron-oidc: Unknown command "signin"; the commands are login, status, get, logout, doctor, help.',
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
      for (const command of ['login', 'status', 'get <path>', 'logout']) expect(r.stdout).toContain(command);
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
      options: { config: 'a.json', vaultService: 's', vaultAccount: 'a', browser: false, verbose: false },
    });
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

  it('says "nothing to sign out" and exits 0 for logout when not signed in', async () => {
    const r = await run(['logout']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Not signed in; nothing to sign out.\n');
  });
});
