import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer } from '@electron-oidc/test-support';
import { startApi } from '../src/index.ts';
import { startTestApi } from './support/api.ts';
import { bearer, request } from './support/http.ts';

let issuer: FakeIssuer;
beforeEach(async () => {
  issuer = await FakeIssuer.start();
});
afterEach(() => issuer.close());

describe('routes', () => {
  it('GET /private answers the message for a valid access token with the read:messages scope', async () => {
    const api = await startTestApi(issuer);
    const res = await api.get('/private', { headers: bearer(await issuer.sign()) });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ message: 'Only authenticated users can read this message.' });
  });

  it('GET /public answers without a token', async () => {
    const api = await startTestApi(issuer);
    const res = await api.get('/public');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Anyone can read this message.' });
  });

  it('GET /healthz answers ok', async () => {
    const api = await startTestApi(issuer);
    const res = await api.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('an unknown route is a JSON 404', async () => {
    const api = await startTestApi(issuer);
    const res = await api.get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'not_found', error_description: 'There is no such resource.' });
  });

  it('does not announce its framework', async () => {
    const api = await startTestApi(issuer);
    const res = await api.get('/public');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('an unexpected error is a JSON 500 without details, logged with its reason', async () => {
    const logs: Record<string, unknown>[] = [];
    const api = await startApi(
      { issuer: issuer.url, port: 0 },
      {
        log: (entry) => logs.push(entry as Record<string, unknown>),
        verifier: {
          verify: () => Promise.reject(new TypeError('a bug in /srv/secret/path')),
        },
      },
    );
    try {
      const res = await request(`${api.url}/private`, { headers: bearer('abc') });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        error: 'server_error',
        error_description: 'Something went wrong on our side.',
      });
      expect(logs[0]).toMatchObject({
        level: 'error',
        status: 500,
        error: 'server_error',
        reason: 'TypeError: a bug in /srv/secret/path',
      });
    } finally {
      await api.close();
    }
  });
});
