// One structured line per request, and never a token or the Authorization header in it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer } from '@electron-oidc/test-support';
import { createLogger, logDestination } from '../src/logger.ts';
import { startTestApi } from './support/api.ts';
import { bearer } from './support/http.ts';

let issuer: FakeIssuer;
beforeEach(async () => {
  issuer = await FakeIssuer.start();
});
afterEach(() => issuer.close());

describe('request logs', () => {
  it('write one entry per request with time, level, method, path, status, duration and error code', async () => {
    const api = await startTestApi(issuer);
    await api.get('/public');
    await api.get('/private?page=2');
    expect(api.logs).toHaveLength(2);
    expect(api.logs[0]).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      level: 'info',
      method: 'GET',
      path: '/public',
      status: 200,
      durationMs: expect.any(Number),
    });
    expect(api.logs[1]).toMatchObject({
      level: 'warn',
      method: 'GET',
      path: '/private',
      status: 401,
      error: 'unauthorized',
    });
  });

  it('give the reason a token was refused', async () => {
    const api = await startTestApi(issuer);
    await api.get('/private', {
      headers: bearer(await issuer.sign({ claims: { aud: 'https://elsewhere' } })),
    });
    expect(api.logs[0]).toMatchObject({
      status: 401,
      error: 'invalid_token',
      reason: expect.stringContaining('another audience'),
    });
  });

  it('never contain the token or the Authorization header, however it was sent', async () => {
    const api = await startTestApi(issuer);
    const valid = await issuer.sign();
    const expired = await issuer.sign({ claims: { exp: 1000, iat: 900 } });
    const [, , signature = ''] = valid.split('.');

    await api.get('/private', { headers: bearer(valid) });
    await api.get('/private', { headers: bearer(expired) });
    await api.get('/private', { headers: [...bearer(valid), ...bearer(valid)] });
    await api.get('/private', { headers: [['Authorization', `Bearer ${valid} extra`]] });
    await api.get(`/private?access_token=${valid}`);
    await api.get(`/private/${valid}`);
    await api.get('/private', { headers: bearer('not-a-jwt-but-secret') });

    expect(api.logs).toHaveLength(7);
    const text = JSON.stringify(api.logs);
    for (const secret of [valid, expired, signature, 'not-a-jwt-but-secret'])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/bearer +[\w.~+/-]{16,}/i);
    const fields = new Set(api.logs.flatMap((entry) => Object.keys(entry)));
    expect([...fields].sort()).toEqual([
      'durationMs',
      'error',
      'level',
      'method',
      'path',
      'reason',
      'status',
      'time',
    ]);
  });
});

describe('LOG_LEVEL', () => {
  it('warn: only refused and failed requests', async () => {
    const api = await startTestApi(issuer, { logLevel: 'warn' });
    await api.get('/public');
    await api.get('/private', { headers: bearer(await issuer.sign()) });
    await api.get('/private');
    expect(api.logs).toEqual([
      expect.objectContaining({ level: 'warn', status: 401, error: 'unauthorized' }),
    ]);
  });

  it('silent: nothing at all', async () => {
    const api = await startTestApi(issuer, { logLevel: 'silent' });
    await api.get('/public');
    await api.get('/private');
    expect(api.logs).toEqual([]);
  });
});

describe('the logger', () => {
  it("redacts credentials by name (pino's redaction), whatever entry carries them", () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'info', destination: logDestination((line) => lines.push(line)) });
    logger.info({
      req: { headers: { authorization: 'Bearer secret-1' } },
      headers: { authorization: 'Bearer secret-2' },
      authorization: 'Bearer secret-3',
      token: 'secret-4',
      access_token: 'secret-5',
    });
    expect(JSON.stringify(lines)).not.toMatch(/secret-/);
    expect(lines[0]).toMatchObject({ level: 'info', authorization: '[redacted]', token: '[redacted]' });
  });
});
