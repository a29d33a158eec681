/**
 * Property-based fuzzing of the sign-in's loopback redirect listener (RFC 8252 §7.3) through its
 * real HTTP server: while a sign-in is pending, requests of any method, path, Host and query
 * (repeated parameters, huge values, unicode, near misses of the state) arrive. Properties:
 *
 * - a request whose `state` is not exactly the pending one never completes the sign-in, never
 *   ends it, and never takes the place of the genuine answer (RFC 6749 §10.12, RFC 9700 §4.7);
 * - every answer is 400, 404 or 405: the listener's small self-contained page (its fixed
 *   headers: CSP `default-src 'none'`, no framing, no referrer; no script, no link, nothing of
 *   the request echoed), or the HTTP parser's own bare refusal;
 * - the listener keeps working: the genuine callback afterwards is accepted with its code, and
 *   forged requests after it change nothing.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startLoopbackListener } from '../../../src/core/sign-in/loopback-listener.ts';
import type { LoopbackRequest } from '../../../src/core/sign-in/loopback-listener.ts';
import { RESULT_PAGE_HEADERS } from '../../../src/core/sign-in/result-page.ts';
import { header, sendRaw, toRawBytes } from '@electron-oidc/test-support/raw-http';
import type { FuzzResponse } from '@electron-oidc/test-support/raw-http';

const NUM_RUNS = 10_000;
const AFTER_RUNS = 1_000;
const CALLBACK_PATH = '/callback';
/** A marker in every forged `code`: the page must never echo it. */
const CODE_MARKER = 'forgedcode';

/** How the state of a forged request differs from the pending one (never equal once decoded). */
const stateVariant = fc.constantFrom(
  'absent',
  'empty',
  'random',
  'one-char-changed',
  'prefix',
  'extended',
  'upper',
  'space-before',
  'plus-after',
  'nul-after',
  'encoded-nul',
  'wrong-then-expected',
  'array-syntax',
  'fullwidth',
);

function forgedState(expected: string, variant: string, random: string): string[] | undefined {
  switch (variant) {
    case 'absent':
      return undefined;
    case 'empty':
      return [''];
    case 'random':
      return [random];
    case 'one-char-changed': {
      const i = random.length % expected.length;
      const c = expected[i] === 'A' ? 'B' : 'A';
      return [`${expected.slice(0, i)}${c}${expected.slice(i + 1)}`];
    }
    case 'prefix':
      return [expected.slice(0, -1)];
    case 'extended':
      return [`${expected}${random || 'x'}`];
    case 'upper':
      return [expected.toUpperCase() === expected ? `${expected}X` : expected.toUpperCase()];
    case 'space-before':
      return [` ${expected}`];
    case 'plus-after':
      return [`${expected}+`];
    case 'nul-after':
      return [`${expected}\u0000`];
    case 'encoded-nul':
      return [`${expected}%00`];
    case 'wrong-then-expected':
      return [random === expected ? `${random}x` : random, expected];
    case 'array-syntax':
      return ['__array__'];
    case 'expected':
      // Only after the genuine answer: the right state must not be accepted twice.
      return [expected];
    case 'fullwidth':
      return [[...expected].map((c) => String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0)).join('')];
    default:
      throw new Error(variant);
  }
}

const paramName = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('code', 'iss', 'error', 'error_description', 'session_state', 'scope'),
  },
  { weight: 1, arbitrary: fc.constantFrom('STATE', 'State', 'state ', 'state[]', 'state%00', '%73tate') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
);
const paramValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.nat({ max: 9_000 }).map((n) => 'v'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('<script>alert(1)</script>', '"><img src=x>', 'javascript:x', '%', '%zz'),
  },
);

const requestArb = fc.record({
  method: fc.oneof(
    { weight: 10, arbitrary: fc.constant('GET') },
    {
      weight: 2,
      arbitrary: fc.constantFrom('POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'get', 'CONNECT', 'TRACE'),
    },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~-]{1,10}$/) },
  ),
  path: fc.oneof(
    { weight: 10, arbitrary: fc.constant(CALLBACK_PATH) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '/callback/',
        '/Callback',
        '/CALLBACK',
        '//callback',
        '/%63allback',
        '/callback;x',
        '/x/../callback',
        '/logout',
        '/',
        '*',
        'http://127.0.0.1/callback',
        'http://evil.example/callback',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((p) => `/${p}`) },
  ),
  host: fc.oneof(
    { weight: 10, arbitrary: fc.constant('own') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('localhost', '127.0.0.1', 'evil.example', '[::1]', 'missing', 'twice'),
    },
  ),
  stateVariant,
  stateRandom: fc.string({ maxLength: 50 }),
  /** Where the state goes among the other parameters. */
  statePosition: fc.nat({ max: 4 }),
  params: fc.array(fc.tuple(paramName, paramValue), { maxLength: 5 }),
  /** Whether names and values are percent-encoded (else sent as they are). */
  encode: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  fragment: fc.oneof(
    { weight: 10, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.constant('#state=x') },
  ),
});

type RequestChoice = Omit<typeof requestArb extends fc.Arbitrary<infer T> ? T : never, 'stateVariant'> & {
  stateVariant: string;
};

function buildRawRequest(
  choice: Omit<RequestChoice, 'stateVariant'> & { stateVariant: string },
  expected: string,
  port: number,
): Buffer {
  const pairs: [string, string][] = choice.params.map(([name, value]) =>
    name === 'code' ? [name, `${CODE_MARKER}${value}`] : [name, value],
  );
  const states = forgedState(expected, choice.stateVariant, choice.stateRandom);
  for (const [offset, value] of (states ?? []).entries()) {
    const at = Math.min(choice.statePosition + offset, pairs.length);
    pairs.splice(at, 0, value === '__array__' ? ['state[]', expected] : ['state', value]);
  }
  const encode = (text: string) => (choice.encode ? encodeURIComponent(text) : text);
  // A state value is always encoded: raw, a near miss such as `<state>&…` or `<state>#…` would
  // be the exact state once parsed, a genuine callback rather than a forged one.
  const query = pairs
    .map(([name, value]) => `${encode(name)}=${name === 'state' ? encodeURIComponent(value) : encode(value)}`)
    .join('&');
  const target = `${choice.path}${query === '' ? '' : `?${query}`}${choice.fragment}`;
  const own = `127.0.0.1:${port}`;
  const hosts: Record<string, string | undefined> = { own, missing: undefined, twice: own };
  const host = choice.host in hosts ? hosts[choice.host] : choice.host;
  const headers: [string, string][] = choice.host === 'twice' ? [['Host', 'evil.example']] : [];
  return toRawBytes({ method: choice.method, target, headers }, host);
}

/** The parser refused the request before the listener saw it: a bare 4xx. */
function isParserRefusal(res: FuzzResponse): boolean {
  return [400, 414, 431].includes(res.status) && res.body === '' && header(res, 'content-type') === undefined;
}

function expectListenerPage(res: FuzzResponse, method: string): void {
  expect([400, 404, 405]).toContain(res.status);
  for (const [name, value] of Object.entries(RESULT_PAGE_HEADERS)) {
    expect(header(res, name), name).toBe(value);
  }
  if (method === 'HEAD') {
    expect(res.body).toBe('');
    return;
  }
  expect(res.body.length).toBeLessThan(4096);
  expect(res.body).toMatch(/^<!doctype html>/);
  expect(res.body).not.toMatch(/<script|<img|<link|<iframe|\bsrc=|\bhref=|https?:\/\/|url\(/i);
  expect(res.body).not.toContain(CODE_MARKER);
}

describe('the loopback callback listener under fuzzed requests (real HTTP)', () => {
  it(`ignores ${NUM_RUNS} forged callbacks, then accepts the genuine one, then ignores ${AFTER_RUNS} more`, async () => {
    const expected = randomBytes(32).toString('base64url');
    const listener = await startLoopbackListener({ path: CALLBACK_PATH, expectedState: expected });
    const tally = new Map<string, number>();
    const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
    let settled: { request?: LoopbackRequest; error?: unknown } | undefined;
    listener.nextRequest().then(
      (request) => (settled = { request }),
      (error: unknown) => (settled = { error }),
    );
    const forge = async (choice: RequestChoice, phase: string) => {
      const res = await sendRaw(listener.port, buildRawRequest(choice, expected, listener.port));
      expect(res.status, 'never a success page for a forged callback').not.toBe(200);
      if (res.status === 0) {
        // Node's server drops a CONNECT (a tunnel request) that no 'connect' listener takes.
        expect(choice.method).toBe('CONNECT');
        count(`${phase}:connect-dropped`);
      } else if (isParserRefusal(res)) count(`${phase}:parser-refusal-${res.status}`);
      else {
        expectListenerPage(res, choice.method);
        count(`${phase}:${res.status}`);
      }
    };
    try {
      const started = performance.now();
      await fc.assert(
        fc.asyncProperty(requestArb, async (choice) => {
          await forge(choice, 'pending');
          count(`state-${choice.stateVariant}`);
          // The pending sign-in neither completed nor ended.
          expect(
            settled,
            `settled by ${settled?.request?.url.href ?? String(settled?.error)}`,
          ).toBeUndefined();
        }),
        { numRuns: NUM_RUNS },
      );
      const seconds = (performance.now() - started) / 1000;

      // The genuine callback still gets through, with its own code; the browser's request stays
      // open until the app answers it.
      const answer = sendRaw(
        listener.port,
        toRawBytes(
          { method: 'GET', target: `${CALLBACK_PATH}?code=genuine-code&state=${expected}`, headers: [] },
          `127.0.0.1:${listener.port}`,
        ),
      );
      const accepted = await listener.nextRequest();
      expect(accepted.url.searchParams.get('code')).toBe('genuine-code');
      expect(accepted.url.searchParams.get('state')).toBe(expected);
      accepted.respond({ ok: true, title: 'You are signed in', message: 'You can close this tab.' });
      const res = await answer;
      expect(res.status).toBe(200);
      expect(res.body).toContain('You are signed in');

      // Once answered, nothing else is accepted, not even the right state again.
      await fc.assert(
        fc.asyncProperty(requestArb, fc.boolean(), async (choice, replay) => {
          await forge(replay ? { ...choice, stateVariant: 'expected' } : choice, 'answered');
          expect(await listener.nextRequest()).toBe(accepted);
        }),
        { numRuns: AFTER_RUNS },
      );
      console.log(
        `loopback fuzz: ${NUM_RUNS} cases pending in ${seconds.toFixed(1)} s, ${AFTER_RUNS} after; ${JSON.stringify(Object.fromEntries([...tally].sort()))}`,
      );
    } finally {
      await listener.close();
    }
  });
});
