/**
 * Findings of the API fuzzer, each as the smallest reproducer, kept as regression tests once fixed.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startApi } from '@electron-oidc/api';
import type { RunningApi } from '@electron-oidc/api';
import { FakeIssuer, closeServer, listenOnLoopback } from '@electron-oidc/test-support';
import { header, sendRaw, toRawBytes } from '@electron-oidc/test-support/raw-http';

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

/** How the issuer double answers an endpoint: properly, with a 500, or with 200 and garbage. */
type Answer = 'ok' | 'error' | 'garbage';

/**
 * An issuer on loopback in front of `keys`' public keys: it counts every request and answers
 * each endpoint as told, garbage included (a 200 whose body is not JSON).
 */
async function startIssuerDouble(keys: FakeIssuer) {
  const requests = { discovery: 0, jwks: 0 };
  const answers: { discovery: Answer; jwks: Answer } = { discovery: 'ok', jwks: 'ok' };
  const server = http.createServer((req, res) => {
    const endpoint = req.url === '/.well-known/openid-configuration' ? 'discovery' : 'jwks';
    requests[endpoint] += 1;
    const body =
      endpoint === 'discovery'
        ? { issuer: url, jwks_uri: `${url}/jwks` }
        : { keys: keys.keys.map((key) => key.publicJwk) };
    res.setHeader('Connection', 'close');
    if (answers[endpoint] === 'error') res.writeHead(500).end('internal error');
    else if (answers[endpoint] === 'garbage')
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ke');
    else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });
  const { origin: url } = await listenOnLoopback(server);
  onTestFinished(() => closeServer(server));
  return { url, requests, answers };
}

describe('an issuer that answers errors or garbage, under a flood of tokens', () => {
  // The API used to fetch discovery (or the JWKS) again for every token while the issuer
  // failed: 40 forged tokens gave 40 requests to the issuer. A failure is now remembered for
  // the Retry-After the 503 advertises; then one request tries again.
  for (const [endpoint, answer] of [
    ['discovery', 'error'],
    ['discovery', 'garbage'],
    ['jwks', 'error'],
    ['jwks', 'garbage'],
  ] as const) {
    it(`${endpoint} answers ${answer}: at most one discovery and one JWKS request for 40 tokens, valid again after Retry-After`, async () => {
      const double = await startIssuerDouble(issuer);
      const flooded = await startApi(
        { issuer: double.url, audience: FUZZ_AUDIENCE, port: 0, issuerRetryAfterSeconds: 2 },
        { log: () => {} },
      );
      onTestFinished(() => flooded.close());
      const valid = () => issuer.sign({ claims: { iss: double.url } });
      const get = (token: string) =>
        fetch(`${flooded.url}/private`, { headers: { authorization: `Bearer ${token}` } });
      double.answers[endpoint] = answer;

      const tokens = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 === 0
            ? valid()
            : issuer.sign({ claims: { iss: double.url }, header: { kid: `forged-${i}` } }),
        ),
      );
      const answers = [];
      // Half at once, half one after another.
      answers.push(...(await Promise.all(tokens.slice(0, 20).map(get))));
      for (const token of tokens.slice(20)) answers.push(await get(token));
      expect(double.requests.discovery).toBeLessThanOrEqual(1);
      expect(double.requests.jwks).toBeLessThanOrEqual(1);
      for (const res of answers) {
        expect(res.status).toBe(503);
        expect(['1', '2']).toContain(res.headers.get('retry-after'));
        expect(res.headers.get('www-authenticate')).toBeNull();
      }

      double.answers[endpoint] = 'ok';
      await sleep(2_100);
      const recovered = await Promise.all(Array.from({ length: 5 }, async () => get(await valid())));
      expect(recovered.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
      expect(double.requests.discovery).toBeLessThanOrEqual(2);
      expect(double.requests.jwks).toBeLessThanOrEqual(2);
    });
  }
});
