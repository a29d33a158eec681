import { describe, expect, it } from 'vitest';
import { DEFAULT_API_CONFIG, loadApiConfig, startApi } from '../src/index.ts';
import { problemsFor } from './support/config.ts';

describe('loadApiConfig', () => {
  it('defaults to the local provider and this API on 127.0.0.1:3000', () => {
    expect(loadApiConfig({})).toEqual({
      issuer: 'http://127.0.0.1:4000',
      audience: 'http://127.0.0.1:3000',
      host: '127.0.0.1',
      port: 3000,
      requiredScope: 'read:messages',
      accessTokenType: 'at+jwt',
      clockToleranceSeconds: 30,
      fetchTimeoutMs: 5000,
      jwksCooldownMs: 30000,
      jwksCacheMaxAgeMs: 600000,
      issuerRetryAfterSeconds: 5,
      tokenCache: 'on',
      tokenCacheMaxEntries: 10000,
      tokenCacheMaxAgeMs: 60000,
      logLevel: 'info',
      dpop: 'allowed',
      dpopNonce: 'off',
      dpopProofWindowSeconds: 60,
      dpopReplayCacheMaxEntries: 100000,
      dpopNonceLifetimeSeconds: 300,
      stepUpAcr: 'urn:electron-oidc:acr:otp',
      stepUpMaxAgeSeconds: 300,
    });
  });

  it('reads every variable, and treats empty ones as unset', () => {
    const config = loadApiConfig({
      ISSUER_URL: 'https://tenant.eu.auth0.com/',
      AUDIENCE: 'https://api.example.com',
      HOST: '0.0.0.0',
      PORT: '8080',
      REQUIRED_SCOPE: 'messages.read',
      ACCESS_TOKEN_TYPE: 'any',
      TOKEN_CACHE: 'off',
    });
    expect(config).toMatchObject({
      issuer: 'https://tenant.eu.auth0.com/',
      audience: 'https://api.example.com',
      host: '0.0.0.0',
      port: 8080,
      requiredScope: 'messages.read',
      accessTokenType: 'any',
      tokenCache: 'off',
    });
    expect(loadApiConfig({ PORT: '', ISSUER_URL: ' ' })).toMatchObject({
      port: 3000,
      issuer: DEFAULT_API_CONFIG.issuer,
    });
  });

  it('accepts plain http only on loopback', () => {
    expect(loadApiConfig({ ISSUER_URL: 'http://localhost:4000' }).issuer).toBe('http://localhost:4000');
    expect(loadApiConfig({ ISSUER_URL: 'http://[::1]:4000' }).issuer).toBe('http://[::1]:4000');
    expect(problemsFor({ ISSUER_URL: 'http://idp.example.com' })).toEqual([
      {
        variable: 'ISSUER_URL',
        message:
          '"http://idp.example.com" uses plain http on a non-loopback host; use https. ' +
          "Set it to the provider's issuer, e.g. https://example.eu.auth0.com/",
      },
    ]);
  });

  it('names ISSUER_URL when it is not a URL', () => {
    expect(problemsFor({ ISSUER_URL: 'idp.example.com' })).toEqual([
      {
        variable: 'ISSUER_URL',
        message:
          '"idp.example.com" is not an absolute URL. Set it to the provider\'s issuer, e.g. https://example.eu.auth0.com/',
      },
    ]);
  });

  it('names ISSUER_URL when it has a query, credentials or another scheme', () => {
    for (const value of [
      'https://idp.example.com/?tenant=1',
      'https://u:p@idp.example.com',
      'ftp://idp.example.com',
    ]) {
      expect(problemsFor({ ISSUER_URL: value }).map((p) => p.variable)).toEqual(['ISSUER_URL']);
    }
  });

  it('names PORT when it is not a port number', () => {
    for (const value of ['abc', '0x10', '1e3', '-1', '3000.5']) {
      expect(problemsFor({ PORT: value })).toEqual([
        { variable: 'PORT', message: `"${value}" is not a port; use an integer from 0 to 65535.` },
      ]);
    }
    expect(problemsFor({ PORT: '70000' })).toEqual([
      {
        variable: 'PORT',
        message: '"70000" is not a port; use an integer from 0 to 65535 (0 picks a free port).',
      },
    ]);
  });

  it('names ACCESS_TOKEN_TYPE and its accepted values', () => {
    expect(problemsFor({ ACCESS_TOKEN_TYPE: 'jwt' })).toEqual([
      {
        variable: 'ACCESS_TOKEN_TYPE',
        message:
          '"jwt" is not supported; use at+jwt (RFC 9068), or any for a provider whose access tokens have another typ (such as JWT).',
      },
    ]);
  });

  it('names TOKEN_CACHE and its accepted values', () => {
    expect(problemsFor({ TOKEN_CACHE: 'false' })).toEqual([
      {
        variable: 'TOKEN_CACHE',
        message: '"false" is not supported; use on (remember verified tokens, the default) or off.',
      },
    ]);
  });

  it('reads LOG_LEVEL (silent included) and names it when it is not a level', () => {
    expect(loadApiConfig({ LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
    expect(loadApiConfig({ LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
    expect(problemsFor({ LOG_LEVEL: 'verbose' })).toEqual([
      {
        variable: 'LOG_LEVEL',
        message: '"verbose" is not a level; use one of fatal, error, warn, info, debug, trace, silent.',
      },
    ]);
  });

  it('names REQUIRED_SCOPE when it is not one scope token', () => {
    expect(problemsFor({ REQUIRED_SCOPE: 'read:messages write:messages' }).map((p) => p.variable)).toEqual([
      'REQUIRED_SCOPE',
    ]);
    expect(problemsFor({ REQUIRED_SCOPE: 'read"x' }).map((p) => p.variable)).toEqual(['REQUIRED_SCOPE']);
  });

  it('names AUDIENCE when it has spaces', () => {
    expect(problemsFor({ AUDIENCE: 'my api' }).map((p) => p.variable)).toEqual(['AUDIENCE']);
  });

  it('reports every invalid variable at once, in a message naming each', () => {
    const env = { ISSUER_URL: 'nope', PORT: 'x', ACCESS_TOKEN_TYPE: 'jwt' };
    expect(
      problemsFor(env)
        .map((p) => p.variable)
        .sort(),
    ).toEqual(['ACCESS_TOKEN_TYPE', 'ISSUER_URL', 'PORT']);
    expect(() => loadApiConfig(env)).toThrow(/^Invalid API configuration:\n/);
    const message = (() => {
      try {
        loadApiConfig(env);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    for (const variable of ['ISSUER_URL', 'PORT', 'ACCESS_TOKEN_TYPE'])
      expect(message).toContain(`\n  - ${variable}: `);
  });
});

describe('startApi', () => {
  it('refuses invalid settings, naming the property', async () => {
    await expect(startApi({ issuer: 'http://idp.example.com', port: 0 })).rejects.toThrow(
      /issuer: "http:\/\/idp\.example\.com" uses plain http on a non-loopback host/,
    );
    await expect(startApi({ port: -1 })).rejects.toThrow(/port: "-1" is not a port/);
    await expect(startApi({ port: 0, tokenCacheMaxEntries: 0 })).rejects.toThrow(
      /tokenCacheMaxEntries: "0" must be a positive integer/,
    );
    await expect(startApi({ port: 0, issuerRetryAfterSeconds: 0 })).rejects.toThrow(
      /issuerRetryAfterSeconds: "0" must be an integer from 1 to 300/,
    );
  });
});
