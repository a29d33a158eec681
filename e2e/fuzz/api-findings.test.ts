/**
 * Findings of the API fuzzer, each as the smallest reproducer, kept as regression tests once fixed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '@electron-oidc/api';
import type { RunningApi } from '@electron-oidc/api';
import { FakeIssuer } from '@electron-oidc/test-support';
import { header, sendRaw, toRawBytes } from './support/http.ts';

/** The audience the API under test is configured with. */
const FUZZ_AUDIENCE = 'https://api.fuzz.example';

let issuer: FakeIssuer;
let api: RunningApi;

beforeAll(async () => {
  issuer = await FakeIssuer.start({
    audience: FUZZ_AUDIENCE,
    lifetime: 3600,
    algorithms: ['RS256', 'ES256'],
  });
  api = await startApi({ issuer: issuer.url, audience: FUZZ_AUDIENCE, port: 0 }, { log: () => {} });
});

afterAll(async () => {
  await api?.close();
  await issuer?.close();
});

describe('GET /private with a body the form parser cannot decode', () => {
  // The form parser (express.urlencoded) used to answer its own 400 `invalid_request`
  // ("incorrect header check", zlib's words) with no challenge, although the request carries no
  // token: RFC 6750 §3 says the answer MUST include WWW-Authenticate.
  it('still carries the Bearer challenge (RFC 6750 §3)', async () => {
    const port = Number(new URL(api.url).port);
    const res = await sendRaw(
      port,
      toRawBytes(
        {
          method: 'GET',
          target: '/private',
          headers: [
            ['Content-Type', 'application/x-www-form-urlencoded'],
            ['Content-Encoding', 'gzip'],
          ],
          body: 'abc',
        },
        `127.0.0.1:${port}`,
      ),
    );
    expect(res.status).toBe(400);
    expect(header(res, 'www-authenticate')).toMatch(/^Bearer realm="api"/);
  });
});
