import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApi } from './support/api.ts';
import { FakeIssuer } from './support/fake-issuer.ts';
import { bearer } from './support/http.ts';

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
});
