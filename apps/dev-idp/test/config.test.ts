import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { IdpConfigError, loadIdpConfig, startIdp } from '../src/index.ts';

const run = promisify(execFile);

function configError(act: () => unknown): IdpConfigError {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(IdpConfigError);
    return error as IdpConfigError;
  }
  throw new Error('expected an IdpConfigError');
}

describe('loadIdpConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(loadIdpConfig({})).toEqual({
      port: 4000,
      clientId: 'desktop-app',
      apiResource: 'http://127.0.0.1:3000',
      dataDir: path.resolve(import.meta.dirname, '..', '.data'),
      accessTokenTtl: 300,
      refreshTokenTtl: 14 * 24 * 60 * 60,
      refreshTokenRotation: true,
      redirectUris: ['http://127.0.0.1/callback'],
      postLogoutRedirectUris: ['http://127.0.0.1/logout'],
      dpopNonce: false,
    });
  });

  it('reads every IDP_* variable', () => {
    expect(
      loadIdpConfig({
        IDP_PORT: '0',
        IDP_CLIENT_ID: 'my-app',
        IDP_API_RESOURCE: 'https://api.example/',
        IDP_DATA_DIR: 'some/dir',
        IDP_ACCESS_TOKEN_TTL: '5',
        IDP_REFRESH_TOKEN_TTL: '60',
        IDP_REFRESH_TOKEN_ROTATION: 'off',
        IDP_REDIRECT_URIS: 'http://127.0.0.1/cb, com.example.app:/oauth',
        IDP_POST_LOGOUT_REDIRECT_URIS: 'http://[::1]/bye',
        IDP_DPOP_NONCE: 'on',
      }),
    ).toEqual({
      port: 0,
      clientId: 'my-app',
      apiResource: 'https://api.example/',
      dataDir: path.resolve('some/dir'),
      accessTokenTtl: 5,
      refreshTokenTtl: 60,
      refreshTokenRotation: false,
      redirectUris: ['http://127.0.0.1/cb', 'com.example.app:/oauth'],
      postLogoutRedirectUris: ['http://[::1]/bye'],
      dpopNonce: true,
    });
  });

  it.each([
    ['IDP_PORT', 'abc'],
    ['IDP_PORT', '70000'],
    ['IDP_CLIENT_ID', 'my app'],
    ['IDP_API_RESOURCE', 'not a uri'],
    ['IDP_API_RESOURCE', 'http://127.0.0.1:3000/#frag'],
    ['IDP_ACCESS_TOKEN_TTL', '0'],
    ['IDP_ACCESS_TOKEN_TTL', 'five'],
    ['IDP_ACCESS_TOKEN_TTL', '1.5'],
    ['IDP_REFRESH_TOKEN_TTL', '-1'],
    ['IDP_REFRESH_TOKEN_ROTATION', 'maybe'],
    ['IDP_DPOP_NONCE', 'sometimes'],
    ['IDP_REDIRECT_URIS', 'http://app.example/callback'],
    ['IDP_POST_LOGOUT_REDIRECT_URIS', 'https://127.0.0.1/logout'],
  ])('names %s when it is "%s"', (variable, value) => {
    const error = configError(() => loadIdpConfig({ [variable]: value }));
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(value);
  });
});

describe('startIdp options', () => {
  it('are validated like the environment and named in the error', async () => {
    await expect(startIdp({ env: {}, port: 0, accessTokenTtl: 0 })).rejects.toThrow(/^accessTokenTtl: /);
    await expect(startIdp({ env: {}, port: -1 })).rejects.toThrow(/^port: /);
    await expect(startIdp({ env: {}, port: 0, redirectUris: ['http://evil.example/cb'] })).rejects.toThrow(
      /^redirectUris: /,
    );
  });
});

describe('npm run idp', () => {
  it('refuses to start on a bad variable, naming it, with exit code 1', async () => {
    const failure = await run(process.execPath, [path.join(import.meta.dirname, '..', 'src', 'main.ts')], {
      env: { ...process.env, IDP_ACCESS_TOKEN_TTL: 'soon' },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('IDP_ACCESS_TOKEN_TTL');
  });
});
