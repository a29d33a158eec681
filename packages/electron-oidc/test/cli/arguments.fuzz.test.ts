/**
 * Property-based fuzzing of the CLI's command line and configuration through the in-process
 * `runCli`: argv arrays of known and unknown words, OIDC_* variables and configuration files
 * (valid, wrong and garbage JSON, missing). The network is closed: the injected fetch records and
 * refuses every request, and a global fetch that does the same catches any request made around
 * it. The vault holds a stored session whose refresh token is a marker. Properties:
 *
 * - `runCli` never throws and exits 0, 1 or 2;
 * - stderr is one line (`electron-oidc: …`; a usage error adds the usage hint), after at most a
 *   few `warning: …` lines; never a stack trace; `--verbose` adds only `electron-oidc:` lines;
 * - no request to a non-loopback host over plain http, and none around the injected fetch;
 * - the refresh token and the client secret are never printed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import type { KeychainLocation } from '../../src/cli/run.ts';
import { USAGE_HINT } from '../../src/cli/args.ts';
import { MemoryVault } from '../../src/core/vault/memory-vault.ts';
import { encodeStoredSession } from '../../src/core/session/stored-session.ts';

const NUM_RUNS = 10_000;
const REFRESH_TOKEN = 'rt-marker-7f3a9c0e5b1d';
const CLIENT_SECRET = 'secret-marker-2b8e6d4f0a';

let dir: string;
let originalFetch: typeof fetch;
/** Requests made with the global fetch: the CLI went around the one it was given. */
const bypassed: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fuzz-cli-'));
  originalFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request) => {
    bypassed.push(input instanceof Request ? input.url : String(input));
    throw new TypeError('fetch failed (the fuzz test refuses every request)');
  }) as typeof fetch;
});

afterAll(async () => {
  globalThis.fetch = originalFetch;
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Inputs

const urlValue = fc.oneof(
  fc.constantFrom(
    'http://127.0.0.1:4000',
    'http://localhost:4000/',
    'http://[::1]:4000',
    'https://login.example.com',
    'https://login.example.com/tenant/',
    'http://login.example.com',
    'http://127.0.0.1.nip.io',
    'http://0x7f000001',
    'http://2130706433',
    'http://127.1',
    'http://user:pw@127.0.0.1',
    'https://a.example/#frag',
    'https://a.example/?q=1',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'ftp://x',
    '//evil.example',
    '127.0.0.1:4000',
    ' ',
  ),
  fc.webUrl(),
  fc.string({ maxLength: 20 }),
);

const anyValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
);

/** A valid value most of the time, so that many invocations get past the configuration. */
function mostly<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> {
  return fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: anyValue });
}

const validUrl = fc.constantFrom(
  'http://127.0.0.1:4000',
  'http://localhost:4000/',
  'http://[::1]:4000',
  'https://login.example.com',
  'https://login.example.com/tenant/',
);

const configObject = fc
  .record(
    {
      issuer: fc.oneof(validUrl, urlValue, anyValue),
      clientId: mostly(fc.constant('desktop-app')),
      apiAudience: mostly(validUrl),
      apiBaseUrl: fc.oneof(validUrl, urlValue, anyValue),
      sendResourceIndicator: mostly(fc.boolean()),
      scopes: mostly(fc.constantFrom('openid profile', 'profile', ['openid', 'read:messages'], 'openid "x"')),
      redirectPort: mostly(fc.integer({ min: -1, max: 70_000 })),
      authorizationParams: mostly(
        fc.dictionary(
          fc.constantFrom('audience', 'prompt', 'state', 'redirect_uri', '__proto__', 'x'),
          anyValue,
          {
            maxKeys: 3,
          },
        ),
      ),
      clientSecret: mostly(fc.constant(CLIENT_SECRET)),
      clientAuthMethod: mostly(
        fc.constantFrom('client_secret_post', 'client_secret_basic', 'private_key_jwt'),
      ),
      signInTimeoutMs: mostly(fc.integer()),
      refreshAheadSeconds: mostly(fc.integer({ min: -5, max: 4000 })),
      postLogoutRedirectPath: mostly(fc.constantFrom('/logout', 'logout', '/a b', '/ok/path')),
    },
    { requiredKeys: [] },
  )
  .chain((object) =>
    fc.oneof(
      { weight: 9, arbitrary: fc.constant(object) },
      { weight: 1, arbitrary: anyValue.map((unknownOption) => ({ ...object, unknownOption })) },
    ),
  );

/** What the configuration file holds, if there is one. */
const fileContent = fc.oneof(
  { weight: 6, arbitrary: configObject.map((object) => JSON.stringify(object)) },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '{',
      'null',
      '[]',
      '"x"',
      '{"issuer":',
      '\uFEFF{}',
      '{"__proto__":{"issuer":1}}',
    ),
  },
);

const ENV_NAMES = [
  'OIDC_ISSUER',
  'OIDC_CLIENT_ID',
  'OIDC_API_AUDIENCE',
  'OIDC_API_BASE_URL',
  'OIDC_SEND_RESOURCE',
  'OIDC_SCOPES',
  'OIDC_REDIRECT_PORT',
  'OIDC_AUDIENCE_PARAM',
  'OIDC_CLIENT_SECRET',
  'OIDC_CLIENT_AUTH_METHOD',
  'OIDC_SIGN_IN_TIMEOUT_MS',
  'OIDC_REFRESH_AHEAD_SECONDS',
  'OIDC_POST_LOGOUT_PATH',
  'OIDC_VAULT_SERVICE',
  'OIDC_VAULT_ACCOUNT',
  'OIDC_CONFIG',
] as const;

const envValue = fc.oneof(
  urlValue,
  fc.constantFrom(
    '',
    ' ',
    '0',
    '1',
    'true',
    'no',
    '65536',
    '4000',
    '-1',
    '1e3',
    ' 42 ',
    'openid',
    'SECRET',
    'FILE',
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const envArb = fc.dictionary(fc.constantFrom(...ENV_NAMES), envValue, { maxKeys: 6 });

const argWord = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('login', 'accounts', 'use', 'status', 'get', 'logout', 'doctor', 'help'),
  },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '--config',
      '--config=FILE',
      'FILE',
      '--vault-service',
      '--vault-account',
      '--account',
      '--account=user-1',
      '--all',
      '--no-all',
      'user-1',
      'alice@example.com',
      '--no-browser',
      '--browser',
      '--verbose',
      '--no-verbose',
      '-h',
      '--help',
      '-V',
      '--version',
      '--',
      '-',
      '--config=',
      '--no-config',
      '-x',
      '--unknown',
      '-hV',
      '/private',
      'https://evil.example/private',
      'http://evil.example/x',
      '//evil.example/x',
      '../../etc/passwd',
      '',
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);

/** A command with well-formed options in any order, as a user would type them. */
const typedArgv = fc
  .record({
    command: fc.oneof(
      fc.constantFrom(
        ['login'],
        ['status'],
        ['logout'],
        ['doctor'],
        ['get', '/private'],
        ['accounts'],
        ['use', 'user-1'],
        ['use', 'nobody@example.com'],
        ['logout', 'user-1'],
        ['logout', '--all'],
        ['status', '--account', 'user-1'],
        ['get', '--account', 'user-1', '/private'],
      ),
      fc.tuple(fc.constant('get'), fc.oneof(urlValue, fc.webPath())),
    ),
    options: fc.array(
      fc.constantFrom(
        ['--config', 'FILE'],
        ['--config=FILE'],
        ['--no-browser'],
        ['--verbose'],
        ['--vault-service', 'svc'],
        ['--vault-account', 'acct'],
      ),
      { maxLength: 3 },
    ),
    optionsFirst: fc.boolean(),
  })
  .map(({ command, options, optionsFirst }) =>
    optionsFirst ? [...options.flat(), ...command] : [...command, ...options.flat()],
  );

const caseArb = fc.record({
  argv: fc.oneof(
    { weight: 3, arbitrary: typedArgv },
    { weight: 2, arbitrary: fc.array(argWord, { maxLength: 6 }) },
  ),
  env: envArb,
  file: fc.option(fileContent, { nil: undefined }),
  /** Whether the file is also the default `./electron-oidc.json` of the working directory. */
  asDefault: fc.boolean(),
  /** The stored session: for this configuration, for another, or garbage. */
  stored: fc.constantFrom('matching', 'foreign', 'garbage', 'none'),
});

// ---------------------------------------------------------------------------------------------

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

describe('the CLI under fuzzed arguments, environment and configuration files', () => {
  it(`handles ${NUM_RUNS} invocations: exit 0, 1 or 2, one line on stderr, nothing secret`, async () => {
    const tally = new Map<string, number>();
    const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
    const file = path.join(dir, 'config.json');
    const defaultFile = path.join(dir, 'electron-oidc.json');
    const started = performance.now();

    await fc.assert(
      fc.asyncProperty(caseArb, async (input) => {
        await rm(file, { force: true });
        await rm(defaultFile, { force: true });
        if (input.file !== undefined) await writeFile(input.asDefault ? defaultFile : file, input.file);
        const argv = input.argv.map((word) => word.replaceAll('FILE', file));
        const env = Object.fromEntries(
          Object.entries(input.env).map(([name, value]) => [
            name,
            // The secret marker goes only where a secret belongs: echoing other values is fine.
            value
              .replaceAll('FILE', file)
              .replaceAll('SECRET', name === 'OIDC_CLIENT_SECRET' ? CLIENT_SECRET : 'S'),
          ]),
        );
        const fetched: string[] = [];
        let out = '';
        let err = '';
        const openVault = async (location: KeychainLocation) => {
          const vault = new MemoryVault();
          const [issuer = '', clientId = ''] = location.account.split(' ');
          if (input.stored === 'garbage') await vault.write('{"v":1,"refresh_token":');
          else if (input.stored !== 'none') {
            await vault.write(
              encodeStoredSession({
                issuer: input.stored === 'matching' ? issuer : 'https://other.example/',
                clientId,
                sub: 'user-1',
                refreshToken: REFRESH_TOKEN,
              }),
            );
          }
          return vault;
        };

        let code: number;
        try {
          code = await runCli({
            argv,
            env,
            cwd: dir,
            stdout: { write: (text: string) => (out += text) },
            stderr: { write: (text: string) => (err += text) },
            fetch: async (url) => {
              fetched.push(url);
              throw new TypeError('fetch failed (the fuzz test refuses every request)');
            },
            openVault,
            openBrowser: async (url) => {
              throw new Error(`the fuzz test opens no browser (${url})`);
            },
          });
        } catch (thrown) {
          throw new Error(`runCli threw for ${JSON.stringify({ argv, env, file: input.file })}`, {
            cause: thrown,
          });
        }
        count(`exit-${code}`);
        expect([0, 1, 2]).toContain(code);

        const lines = err.split('\n');
        expect(lines.pop(), 'stderr ends with a newline').toBe('');
        for (const line of lines) {
          expect(line, 'no stack trace').not.toMatch(/^\s+at\s|^\w*Error: /);
          if (line !== USAGE_HINT) expect(line).toMatch(/^(electron-oidc|warning): \S/);
        }
        const verbose =
          argv.includes('--verbose') && !argv.slice(0, argv.indexOf('--verbose')).includes('--');
        const failures = lines.filter((line) => line.startsWith('electron-oidc: '));
        if (code === 2) {
          expect(lines).toHaveLength(2);
          expect(lines[0]).toMatch(/^electron-oidc: /);
          expect(lines[1]).toBe(USAGE_HINT);
          expect(out).toBe('');
        } else if (code === 1) {
          expect(lines.at(-1)).toMatch(/^electron-oidc: /);
          if (!verbose) expect(failures, err).toHaveLength(1);
          if (lines.at(-1)?.includes('Unexpected error')) count('unexpected-error');
        } else if (!verbose) {
          expect(failures, err).toHaveLength(0);
        }
        const warnings = lines.filter((line) => line.startsWith('warning: '));
        if (warnings.length > 0) count('with-warnings');

        // The network: only through the injected fetch, and never plain http off loopback.
        for (const url of fetched) {
          const parsed = new URL(url);
          expect(parsed.protocol === 'https:' || isLoopback(parsed.hostname), url).toBe(true);
          count(isLoopback(parsed.hostname) ? 'fetch-loopback' : 'fetch-https');
        }
        expect(bypassed).toEqual([]);

        for (const secret of [REFRESH_TOKEN, CLIENT_SECRET]) {
          expect(out.includes(secret) || err.includes(secret), `${secret} printed`).toBe(false);
        }
      }),
      { numRuns: NUM_RUNS },
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `cli fuzz: ${NUM_RUNS} cases in ${seconds.toFixed(1)} s; ${JSON.stringify(Object.fromEntries([...tally].sort()))}`,
    );
  });
});
