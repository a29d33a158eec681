import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CONFIG_ENV_VARS,
  defineConfig,
  loadConfig,
  loadConfigFromEnv,
  mergeConfig,
} from '../../src/core/config.ts';
import { AuthError } from '../../src/core/errors.ts';

function configErrorOf(fn: () => unknown): AuthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).code).toBe('ERR_CONFIG');
    return err as AuthError;
  }
  throw new Error('expected an ERR_CONFIG error');
}

describe('defineConfig', () => {
  it('defaults point at the local provider and API', () => {
    const config = defineConfig();
    expect(config.issuer.href).toBe('http://127.0.0.1:4000/');
    expect(config.clientId).toBe('desktop-app');
    expect(config.apiAudience).toBe('http://127.0.0.1:3000');
    expect(config.apiOrigin).toBe('http://127.0.0.1:3000');
    expect(config.scopes).toEqual(['openid', 'profile', 'email', 'offline_access', 'read:messages']);
    expect(config.signInTimeoutMs).toBe(300_000);
    expect(config.clientAuthMethod).toBe('none');
    expect(config.postLogoutRedirectPath).toBe('/logout');
    expect(config.redirectPort).toBeUndefined();
  });

  it('plain http issuers are refused off loopback, and the error names the option', () => {
    const err = configErrorOf(() => defineConfig({ issuer: 'http://login.example.com' }));
    expect(err.option).toBe('issuer');
    expect(err.message).toMatch(/"issuer".*https/);
  });

  it.each(['http://127.0.0.1:4000', 'http://127.8.9.10', 'http://[::1]:4000', 'http://localhost:4000'])(
    'plain http is allowed on loopback: %s',
    (issuer) => {
      expect(defineConfig({ issuer }).issuer.protocol).toBe('http:');
    },
  );

  it('a bearer-carrying API URL over plain http is refused off loopback', () => {
    const err = configErrorOf(() =>
      defineConfig({ issuer: 'https://idp.example.com', apiAudience: 'http://api.example.com' }),
    );
    expect(err.option).toBe('apiAudience');
  });

  it('a non-URL audience needs apiBaseUrl, named in the error', () => {
    const err = configErrorOf(() =>
      defineConfig({
        apiAudience: 'api://default',
        sendResourceIndicator: false,
        issuer: 'https://idp.example.com',
      }),
    );
    expect(err.option).toBe('apiBaseUrl');
    const ok = defineConfig({
      apiAudience: 'api://default',
      sendResourceIndicator: false,
      issuer: 'https://idp.example.com',
      apiBaseUrl: 'https://api.example.com/v1/',
    });
    expect(ok.apiOrigin).toBe('https://api.example.com');
  });

  it('scopes must include openid and be valid RFC 6749 scope tokens', () => {
    expect(configErrorOf(() => defineConfig({ scopes: 'profile email' })).option).toBe('scopes');
    expect(configErrorOf(() => defineConfig({ scopes: ['openid', 'bad"scope'] })).option).toBe('scopes');
    expect(defineConfig({ scopes: ' openid  profile ' }).scopes).toEqual(['openid', 'profile']);
  });

  it('redirectPort must be a port number', () => {
    expect(configErrorOf(() => defineConfig({ redirectPort: 70000 })).option).toBe('redirectPort');
    expect(configErrorOf(() => defineConfig({ redirectPort: 1.5 })).option).toBe('redirectPort');
    expect(defineConfig({ redirectPort: 53682 }).redirectPort).toBe(53682);
  });

  it('authorization params cannot override what the library sets (PKCE, state, nonce, redirect)', () => {
    for (const key of ['state', 'nonce', 'code_challenge_method', 'redirect_uri', 'scope', 'resource']) {
      expect(configErrorOf(() => defineConfig({ authorizationParams: { [key]: 'x' } })).option).toBe(
        `authorizationParams.${key}`,
      );
    }
    expect(defineConfig({ authorizationParams: { audience: 'https://api' } }).authorizationParams).toEqual({
      audience: 'https://api',
    });
  });

  it('a client secret switches client authentication away from none', () => {
    expect(defineConfig({ clientSecret: 's3cret' }).clientAuthMethod).toBe('client_secret_post');
    expect(
      defineConfig({ clientSecret: 's3cret', clientAuthMethod: 'client_secret_basic' }).clientAuthMethod,
    ).toBe('client_secret_basic');
    expect(configErrorOf(() => defineConfig({ clientAuthMethod: 'client_secret_basic' })).option).toBe(
      'clientAuthMethod',
    );
  });

  it('unknown options are refused by name (typos do not silently fall back to defaults)', () => {
    const err = configErrorOf(() => defineConfig({ isuer: 'https://x' } as never));
    expect(err.option).toBe('isuer');
  });

  it('the resource indicator must be an absolute URI (RFC 8707 §2)', () => {
    expect(configErrorOf(() => defineConfig({ apiAudience: 'my-api' })).option).toBe('apiAudience');
  });

  it('timeouts and margins are range-checked', () => {
    expect(configErrorOf(() => defineConfig({ signInTimeoutMs: 0 })).option).toBe('signInTimeoutMs');
    expect(configErrorOf(() => defineConfig({ refreshAheadSeconds: -1 })).option).toBe('refreshAheadSeconds');
    expect(configErrorOf(() => defineConfig({ postLogoutRedirectPath: 'logout' })).option).toBe(
      'postLogoutRedirectPath',
    );
  });
});

describe('loadConfigFromEnv', () => {
  it('maps the documented variables and ignores empty ones', () => {
    const input = loadConfigFromEnv({
      OIDC_ISSUER: 'https://tenant.auth0.com/',
      OIDC_CLIENT_ID: 'abc',
      OIDC_API_AUDIENCE: 'https://api.example.com',
      OIDC_SCOPES: 'openid profile',
      OIDC_REDIRECT_PORT: '53682',
      OIDC_AUDIENCE_PARAM: 'https://api.example.com',
      OIDC_CLIENT_SECRET: '',
    });
    expect(input).toEqual({
      issuer: 'https://tenant.auth0.com/',
      clientId: 'abc',
      apiAudience: 'https://api.example.com',
      scopes: 'openid profile',
      redirectPort: 53682,
      authorizationParams: { audience: 'https://api.example.com' },
    });
  });

  it('reads every variable of CONFIG_ENV_VARS, each into its option and type', () => {
    const input = loadConfigFromEnv({
      OIDC_ISSUER: ' https://login.example.com ',
      OIDC_CLIENT_ID: 'abc',
      OIDC_API_AUDIENCE: 'https://api.example.com',
      OIDC_API_BASE_URL: 'https://api.example.com/v1/',
      OIDC_SEND_RESOURCE: 'false',
      OIDC_SCOPES: 'openid',
      OIDC_REDIRECT_PORT: '8080',
      OIDC_AUDIENCE_PARAM: 'https://api',
      OIDC_CLIENT_SECRET: 's3cret',
      OIDC_CLIENT_AUTH_METHOD: 'client_secret_basic',
      OIDC_SIGN_IN_TIMEOUT_MS: '1000',
      OIDC_REFRESH_AHEAD_SECONDS: '30',
      OIDC_POST_LOGOUT_PATH: '/bye',
      OIDC_DPOP: 'required',
      OIDC_ACCOUNTS: 'multiple',
    });
    expect(input).toEqual({
      issuer: 'https://login.example.com',
      clientId: 'abc',
      apiAudience: 'https://api.example.com',
      apiBaseUrl: 'https://api.example.com/v1/',
      sendResourceIndicator: false,
      scopes: 'openid',
      redirectPort: 8080,
      authorizationParams: { audience: 'https://api' },
      clientSecret: 's3cret',
      clientAuthMethod: 'client_secret_basic',
      signInTimeoutMs: 1000,
      refreshAheadSeconds: 30,
      postLogoutRedirectPath: '/bye',
      dpop: 'required',
      accounts: 'multiple',
    });
    expect(Object.keys(CONFIG_ENV_VARS)).toHaveLength(15);
  });

  it('a malformed boolean names the variable', () => {
    expect(() => loadConfigFromEnv({ OIDC_SEND_RESOURCE: 'maybe' })).toThrow(/OIDC_SEND_RESOURCE/);
  });

  it('a malformed number names the variable', () => {
    const err = (() => {
      try {
        loadConfigFromEnv({ OIDC_REDIRECT_PORT: 'eighty' });
      } catch (e) {
        return e as AuthError;
      }
      throw new Error('no error');
    })();
    expect(err.code).toBe('ERR_CONFIG');
    expect(err.message).toContain('OIDC_REDIRECT_PORT');
  });
});

describe('loadConfig (file, then environment, then overrides)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('later layers win and authorization params merge key by key', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'oidc-config-'));
    const file = path.join(dir, 'oidc.json');
    await writeFile(
      file,
      JSON.stringify({
        issuer: 'https://a.example.com',
        clientId: 'from-file',
        authorizationParams: { prompt: 'login' },
      }),
    );
    const config = await loadConfig({
      file,
      env: { OIDC_CLIENT_ID: 'from-env', OIDC_AUDIENCE_PARAM: 'https://api' },
      overrides: { signInTimeoutMs: 1000 },
    });
    expect(config.issuer.href).toBe('https://a.example.com/');
    expect(config.clientId).toBe('from-env');
    expect(config.authorizationParams).toEqual({ prompt: 'login', audience: 'https://api' });
    expect(config.signInTimeoutMs).toBe(1000);
  });

  it('a missing or invalid file is ERR_CONFIG naming the path', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'oidc-config-'));
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{ not json');
    await expect(loadConfig({ file })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
      message: expect.stringContaining(file),
    });
    await expect(loadConfig({ file: path.join(dir, 'nope.json') })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
    });
  });

  it('mergeConfig skips undefined values', () => {
    expect(mergeConfig({ clientId: 'a' }, { clientId: undefined }, undefined)).toEqual({ clientId: 'a' });
  });
});

describe('the accounts option', () => {
  it('defaults to single, takes single and multiple, and refuses anything else by name', () => {
    expect(defineConfig().accounts).toBe('single');
    for (const mode of ['single', 'multiple'] as const)
      expect(defineConfig({ accounts: mode }).accounts).toBe(mode);
    expect(() => defineConfig({ accounts: 'many' as 'single' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG', option: 'accounts' }),
    );
  });

  it('OIDC_ACCOUNTS sets it', () => {
    expect(defineConfig(loadConfigFromEnv({ OIDC_ACCOUNTS: 'multiple' })).accounts).toBe('multiple');
    expect(() => defineConfig(loadConfigFromEnv({ OIDC_ACCOUNTS: 'two' }))).toThrow(/"accounts"/);
  });
});

describe('the dpop option (RFC 9449)', () => {
  it('defaults to auto, takes auto, required and off, and refuses anything else by name', () => {
    expect(defineConfig().dpop).toBe('auto');
    for (const mode of ['auto', 'required', 'off'] as const)
      expect(defineConfig({ dpop: mode }).dpop).toBe(mode);
    expect(() => defineConfig({ dpop: 'on' as 'auto' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG', option: 'dpop' }),
    );
  });

  it('OIDC_DPOP sets it', () => {
    expect(defineConfig(loadConfigFromEnv({ OIDC_DPOP: 'off' })).dpop).toBe('off');
    expect(() => defineConfig(loadConfigFromEnv({ OIDC_DPOP: 'yes' }))).toThrow(/"dpop"/);
  });

  it('dpop_jkt is the library’s own authorization parameter (RFC 9449 §10)', () => {
    expect(() => defineConfig({ authorizationParams: { dpop_jkt: 'x' } })).toThrow(
      expect.objectContaining({ option: 'authorizationParams.dpop_jkt' }),
    );
  });
});
