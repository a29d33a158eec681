// RFC 6750 §2.1 (the Authorization header) and §3.1 (the answers), from the client's side.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer } from '@electron-oidc/test-support';
import { challenge, startTestApi } from '../support/api.ts';
import type { TestApi } from '../support/api.ts';
import { bearer } from '../support/http.ts';

let issuer: FakeIssuer;
let api: TestApi;
beforeEach(async () => {
  issuer = await FakeIssuer.start();
  api = await startTestApi(issuer);
});
afterEach(() => issuer.close());

async function expectInvalidRequest(
  res: Awaited<ReturnType<TestApi['get']>>,
  description: string,
): Promise<void> {
  expect(res.status).toBe(400);
  expect(res.headers['www-authenticate']).toBe(challenge('invalid_request', description));
  expect(res.body).toEqual({ error: 'invalid_request', error_description: description });
}

describe('a request without bearer credentials', () => {
  it('gets 401 with a bare challenge and no error code (RFC 6750 §3.1)', async () => {
    const res = await api.get('/private');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(res.body).toEqual({
      error: 'unauthorized',
      error_description: 'This resource needs a bearer access token in the Authorization header.',
    });
  });

  it('gets the same bare challenge when it uses another scheme (Basic)', async () => {
    const res = await api.get('/private', { headers: [['Authorization', 'Basic dXNlcjpwYXNz']] });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
  });
});

describe('the Bearer scheme', () => {
  it('is case-insensitive: lowercase bearer is accepted (RFC 9110 §11.1)', async () => {
    const res = await api.get('/private', { headers: [['Authorization', `bearer ${await issuer.sign()}`]] });
    expect(res.status).toBe(200);
  });

  it('is case-insensitive: BEARER is accepted', async () => {
    const res = await api.get('/private', { headers: [['Authorization', `BEARER ${await issuer.sign()}`]] });
    expect(res.status).toBe(200);
  });

  it('accepts several spaces before the token (1*SP)', async () => {
    const res = await api.get('/private', {
      headers: [['Authorization', `Bearer   ${await issuer.sign()}`]],
    });
    expect(res.status).toBe(200);
  });
});

describe('malformed bearer credentials get 400 invalid_request', () => {
  it('Bearer with an empty token', async () => {
    const res = await api.get('/private', { headers: [['Authorization', 'Bearer ']] });
    await expectInvalidRequest(res, 'The Authorization header has no bearer token.');
  });

  it('an empty Authorization header', async () => {
    const res = await api.get('/private', { headers: [['Authorization', '']] });
    await expectInvalidRequest(res, 'The Authorization header is empty.');
  });

  it('two tokens in one header', async () => {
    const token = await issuer.sign();
    const res = await api.get('/private', { headers: [['Authorization', `Bearer ${token} ${token}`]] });
    await expectInvalidRequest(res, 'The Authorization header must carry exactly one bearer token.');
  });

  it('several Authorization headers, even if each is valid', async () => {
    const token = await issuer.sign();
    const res = await api.get('/private', { headers: [...bearer(token), ...bearer(token)] });
    await expectInvalidRequest(res, 'The request has several Authorization headers; send exactly one.');
  });

  it('a token with characters outside b64token', async () => {
    const res = await api.get('/private', { headers: [['Authorization', 'Bearer abc$def']] });
    await expectInvalidRequest(
      res,
      'The bearer token has characters outside the b64token syntax (RFC 6750, section 2.1).',
    );
  });

  it('a token in the header and also in the query (RFC 6750 §2: one method only)', async () => {
    const token = await issuer.sign();
    const res = await api.get(`/private?access_token=${token}`, { headers: bearer(token) });
    await expectInvalidRequest(
      res,
      'The access token was sent more than one way; send it only in the Authorization header.',
    );
  });

  it('a token in the header and also in a form body (RFC 6750 §2: one method only)', async () => {
    const token = await issuer.sign();
    const res = await api.get('/private', {
      headers: [...bearer(token), ['Content-Type', 'application/x-www-form-urlencoded']],
      body: `access_token=${token}`,
    });
    await expectInvalidRequest(
      res,
      'The access token was sent more than one way; send it only in the Authorization header.',
    );
  });

  it('a token in the query only (RFC 6750 §2.3 is not accepted)', async () => {
    const res = await api.get(`/private?access_token=${await issuer.sign()}`);
    await expectInvalidRequest(
      res,
      'Send the access token in the Authorization header (Bearer scheme), not as an access_token parameter.',
    );
  });
});

describe('a well-formed header with a token that is not a JWT', () => {
  it('gets 401 invalid_token', async () => {
    const res = await api.get('/private', { headers: bearer('garbage') });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      challenge('invalid_token', 'The access token is malformed.'),
    );
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'The access token is malformed.' });
  });
});
