/**
 * Property-based fuzzing of the API's bearer check (RFC 6750, RFC 9068) over real HTTP: one
 * API on a loopback port, a test issuer that is up the whole time, and requests of every shape
 * (methods, paths, Authorization headers repeated, malformed or huge, tokens in the query or
 * the body, content types) carrying tokens that are genuine, mis-addressed, expired, forged
 * or garbage. Properties:
 *
 * - never a 5xx and never a dropped connection (the issuer is up, so not even a 503);
 * - 200 from `GET /private` only for a token the generator marks genuine, sent the one way
 *   RFC 6750 §2.1 allows; a well-formed request gets exactly the status its token deserves;
 * - every 400/401/403 of the bearer check carries its exact `WWW-Authenticate` challenge;
 * - every answer (except HEAD's and the HTTP parser's own) is JSON;
 * - no token ever reaches the request log.
 */
import { createHmac, KeyObject, randomUUID, sign as cryptoSign } from 'node:crypto';
import http from 'node:http';
import fc from 'fast-check';
import { exportSPKI } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '@electron-oidc/api';
import type { RunningApi } from '@electron-oidc/api';
import { FakeIssuer, generateIssuerKey } from '@electron-oidc/test-support';
import type { IssuerKey } from '@electron-oidc/test-support';
import { header, isClientSafe, sendRaw, sendWithClient, toRawBytes } from '@electron-oidc/test-support/raw-http';
import type { FuzzRequest, FuzzResponse } from '@electron-oidc/test-support/raw-http';

const NUM_RUNS = 10_000;
/** The audience the API under test is configured with. */
const FUZZ_AUDIENCE = 'https://api.fuzz.example';
/** The scope `GET /private` needs (the API's default). */
const REQUIRED_SCOPE = 'read:messages';
const PRIVATE_MESSAGE = 'Only authenticated users can read this message.';

/** What a token deserves when it is the one bearer credential of a well-formed `GET /private`. */
type Deserved = 200 | 401 | 403;

interface FuzzToken {
  text: string;
  deserves: Deserved;
  /** How it was made, for the tally and for failure reports. */
  kind: string;
}

let issuer: FakeIssuer;
/** The RS256 key's public key as PEM, the secret an HS256 key-confusion forgery uses. */
let rsaPublicPem: string;
let api: RunningApi;
let port: number;
let agent: http.Agent;
let foreignKey: IssuerKey;
/** Special forgeries built once (signing RSA keys per case would dominate the run time). */
let pool: FuzzToken[];
const logLines: string[] = [];
/** Every token string sent, to check that none reaches the log. */
const sentTokens = new Set<string>();
const tally = new Map<string, number>();

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Signs `header.payload` as JWS with node:crypto (fast enough for a token per case). */
function signCompact(header: Record<string, unknown>, payload: unknown, key: IssuerKey | 'hmac'): string {
  const input = `${b64(header)}.${b64(payload)}`;
  let signature: Buffer;
  if (key === 'hmac') signature = createHmac('sha256', rsaPublicPem).update(input).digest();
  else {
    const keyObject = KeyObject.from(key.privateKey);
    signature =
      key.alg === 'ES256'
        ? cryptoSign('sha256', Buffer.from(input), { key: keyObject, dsaEncoding: 'ieee-p1363' })
        : cryptoSign('sha256', Buffer.from(input), keyObject);
  }
  return `${input}.${signature.toString('base64url')}`;
}

beforeAll(async () => {
  // Tokens signed with either key, valid for the whole run.
  issuer = await FakeIssuer.start({
    audience: FUZZ_AUDIENCE,
    lifetime: 3600,
    algorithms: ['RS256', 'ES256'],
  });
  foreignKey = await generateIssuerKey('ES256');
  api = await startApi(
    { issuer: issuer.url, audience: FUZZ_AUDIENCE, port: 0 },
    { log: (entry) => logLines.push(JSON.stringify(entry)) },
  );
  port = Number(new URL(api.url).port);
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  const [rsa, ec] = issuer.keys;
  if (rsa === undefined || ec === undefined) throw new Error('the issuer has no keys');
  rsaPublicPem = await exportSPKI(rsa.publicKey);
  const now = Math.floor(Date.now() / 1000);
  const valid = await issuer.sign();
  const [validHeader = '', validPayload = '', validSignature = ''] = valid.split('.');
  const other = await issuer.sign({ claims: { sub: 'user-2' } });
  const [, otherPayload = ''] = other.split('.');
  pool = [
    { kind: 'pool:valid-rs256', deserves: 200, text: valid },
    { kind: 'pool:valid-es256', deserves: 200, text: await issuer.sign({ key: ec }) },
    {
      kind: 'pool:valid-typ-application',
      deserves: 200,
      text: await issuer.sign({ header: { typ: 'application/at+jwt' } }),
    },
    { kind: 'pool:no-scope', deserves: 403, text: await issuer.sign({ claims: { scope: 'openid' } }) },
    { kind: 'pool:expired', deserves: 401, text: await issuer.sign({ claims: { exp: now - 3600 } }) },
    {
      kind: 'pool:alg-none',
      deserves: 401,
      text: issuer.compact({ alg: 'none', typ: 'at+jwt' }, issuer.claims()),
    },
    {
      kind: 'pool:alg-none-with-kid',
      deserves: 401,
      text: issuer.compact({ alg: 'none', typ: 'at+jwt', kid: rsa.kid }, issuer.claims()),
    },
    {
      // Key confusion: HMAC with the issuer's public key as the secret.
      kind: 'pool:hs256-public-key',
      deserves: 401,
      text: await issuer.sign({
        header: { alg: 'HS256', kid: rsa.kid },
        signingKey: new TextEncoder().encode(rsaPublicPem),
      }),
    },
    {
      kind: 'pool:rs-key-named-by-ec-kid',
      deserves: 401,
      text: await issuer.sign({ header: { kid: ec.kid } }),
    },
    {
      kind: 'pool:payload-swapped',
      deserves: 401,
      text: `${validHeader}.${otherPayload}.${validSignature}`,
    },
    { kind: 'pool:signature-stripped', deserves: 401, text: `${validHeader}.${validPayload}.` },
    {
      kind: 'pool:signature-of-other-token',
      deserves: 401,
      text: `${validHeader}.${validPayload}.${other.split('.')[2] ?? ''}`,
    },
    {
      kind: 'pool:id-token-audience',
      deserves: 401,
      text: await issuer.sign({ claims: { aud: 'desktop-app' }, header: { typ: 'JWT' } }),
    },
    {
      kind: 'pool:jwe-shaped',
      deserves: 401,
      text: `${b64({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: rsa.kid })}.${b64('k')}.${b64('iv')}.${b64('c')}.${b64('t')}`,
    },
    {
      kind: 'pool:jku-elsewhere',
      deserves: 401,
      text: signCompact(
        { alg: 'ES256', typ: 'at+jwt', kid: foreignKey.kid, jku: 'http://127.0.0.1:1/jwks' },
        issuer.claims(),
        foreignKey,
      ),
    },
    {
      kind: 'pool:embedded-jwk',
      deserves: 401,
      text: signCompact(
        { alg: 'ES256', typ: 'at+jwt', jwk: foreignKey.publicJwk },
        issuer.claims(),
        foreignKey,
      ),
    },
    {
      kind: 'pool:crit-unknown',
      deserves: 401,
      text: signCompact(
        { alg: 'RS256', kid: rsa.kid, typ: 'at+jwt', crit: ['x-unknown'], 'x-unknown': true },
        issuer.claims(),
        rsa,
      ),
    },
    {
      kind: 'pool:b64-false',
      deserves: 401,
      text: signCompact(
        { alg: 'RS256', kid: rsa.kid, typ: 'at+jwt', b64: false, crit: ['b64'] },
        issuer.claims(),
        rsa,
      ),
    },
  ];
});

afterAll(async () => {
  agent?.destroy();
  await api?.close();
  await issuer?.close();
});

// ---------------------------------------------------------------------------------------------
// Tokens

const B64URL = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
  maxLength: 60,
});

/** The first value most of the time (so that whole tokens are often genuine), else one of the others. */
function mostly<const T extends string>(usual: T, ...others: T[]): fc.Arbitrary<T> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(usual) },
    { weight: 1, arbitrary: fc.constantFrom(...others) },
  );
}

/** A token signed by a key the test holds, with claims and header chosen at random; a model says what it deserves. */
const modelToken: fc.Arbitrary<() => FuzzToken> = fc
  .record({
    iss: mostly('ok', 'other', 'trailing-slash', 'missing'),
    aud: mostly('ok', 'array-with-ok', 'other', 'array-without-ok', 'missing'),
    exp: mostly('future', 'past', 'within-tolerance', 'missing', 'string'),
    nbf: mostly('absent', 'past', 'future'),
    iat: mostly('now', 'missing'),
    sub: mostly('ok', 'missing'),
    scope: fc.constantFrom(
      'scope',
      'scope-alone',
      'scope-without',
      'scope-prefix',
      'scope-array',
      'scp-array',
      'scp-string',
      'permissions',
      'none',
    ),
    typ: mostly('at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT', 'missing'),
    key: mostly('rsa', 'ec', 'foreign-with-ec-kid', 'ec-without-kid', 'hmac-public-key'),
    extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  })
  .map((choice) => () => {
    const now = Math.floor(Date.now() / 1000);
    const [rsa, ec] = issuer.keys as [IssuerKey, IssuerKey];
    const claims: Record<string, unknown> = {};
    // Extra claims first, so the ones the model reasons about always win.
    for (const [name, value] of Object.entries(choice.extra)) {
      if (!['iss', 'aud', 'exp', 'nbf', 'iat', 'sub', 'scope', 'scp', 'permissions'].includes(name)) {
        claims[name] = value;
      }
    }
    let ok = true;
    let scopeOk = true;
    if (choice.iss !== 'missing') {
      claims.iss = { ok: issuer.url, other: 'https://evil.example', 'trailing-slash': `${issuer.url}/` }[
        choice.iss
      ];
    }
    if (choice.iss !== 'ok') ok = false;
    const audiences = {
      ok: FUZZ_AUDIENCE,
      'array-with-ok': ['https://other.example', FUZZ_AUDIENCE],
      other: 'https://other.example',
      'array-without-ok': ['https://other.example'],
    } as const;
    if (choice.aud !== 'missing') claims.aud = audiences[choice.aud];
    if (choice.aud !== 'ok' && choice.aud !== 'array-with-ok') ok = false;
    if (choice.exp !== 'missing') {
      claims.exp = { future: now + 3600, past: now - 3600, 'within-tolerance': now - 5, string: 'soon' }[
        choice.exp
      ];
    }
    if (choice.exp === 'past' || choice.exp === 'missing' || choice.exp === 'string') ok = false;
    if (choice.nbf !== 'absent') claims.nbf = choice.nbf === 'past' ? now - 60 : now + 3600;
    if (choice.nbf === 'future') ok = false;
    if (choice.iat === 'now') claims.iat = now;
    else ok = false;
    if (choice.sub === 'ok') claims.sub = 'user-1';
    else ok = false;
    switch (choice.scope) {
      case 'scope':
        claims.scope = `openid ${REQUIRED_SCOPE} profile`;
        break;
      case 'scope-alone':
        claims.scope = REQUIRED_SCOPE;
        break;
      case 'scope-without':
        claims.scope = 'openid profile';
        scopeOk = false;
        break;
      case 'scope-prefix':
        claims.scope = `${REQUIRED_SCOPE}:all ${REQUIRED_SCOPE.toUpperCase()}`;
        scopeOk = false;
        break;
      case 'scope-array':
        // `scope` must be a string (RFC 9068 §2.2.3); an array grants nothing.
        claims.scope = [REQUIRED_SCOPE];
        scopeOk = false;
        break;
      case 'scp-array':
        claims.scp = ['openid', REQUIRED_SCOPE];
        break;
      case 'scp-string':
        claims.scp = `openid ${REQUIRED_SCOPE}`;
        break;
      case 'permissions':
        claims.permissions = [REQUIRED_SCOPE];
        break;
      case 'none':
        scopeOk = false;
        break;
    }
    const header: Record<string, unknown> = {};
    if (choice.typ !== 'missing') header.typ = choice.typ;
    if (choice.typ === 'JWT' || choice.typ === 'missing') ok = false;
    let key: IssuerKey | 'hmac';
    switch (choice.key) {
      case 'rsa':
        key = rsa;
        Object.assign(header, { alg: 'RS256', kid: rsa.kid });
        break;
      case 'ec':
        key = ec;
        Object.assign(header, { alg: 'ES256', kid: ec.kid });
        break;
      case 'ec-without-kid':
        // One EC key is published, so jose picks it by `alg` alone.
        key = ec;
        header.alg = 'ES256';
        break;
      case 'foreign-with-ec-kid':
        key = foreignKey;
        Object.assign(header, { alg: 'ES256', kid: ec.kid });
        ok = false;
        break;
      case 'hmac-public-key':
        key = 'hmac';
        Object.assign(header, { alg: 'HS256', kid: rsa.kid });
        ok = false;
        break;
    }
    const deserves: Deserved = ok ? (scopeOk ? 200 : 403) : 401;
    return {
      kind: `model:${deserves}`,
      deserves,
      text: signCompact(header, claims, key),
    };
  });

/** Headers and payloads of any shape, unsigned, HMAC-signed or with a random signature. */
const forgedToken: fc.Arbitrary<() => FuzzToken> = fc
  .record({
    header: fc.oneof(
      fc.record(
        {
          alg: fc.constantFrom(
            'none',
            'None',
            'NONE',
            'HS256',
            'RS256',
            'ES256',
            'PS256',
            'EdDSA',
            'RS1',
            '',
          ),
          kid: fc.oneof(fc.constant('issuer'), fc.uuid(), fc.string({ maxLength: 20 })),
          typ: fc.constantFrom('at+jwt', 'JWT', 'application/at+jwt'),
          crit: fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }),
          jku: fc.constant('https://evil.example/jwks'),
          x5u: fc.constant('https://evil.example/cert'),
        },
        { requiredKeys: ['alg'] },
      ),
      fc.jsonValue({ maxDepth: 2 }),
      fc.string({ maxLength: 30 }),
    ),
    payload: fc.oneof(fc.constant('claims'), fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 30 })),
    signature: fc.oneof(
      fc.constant(''),
      B64URL,
      fc.constant('hmac-public-key'),
      fc.constant('valid-token-signature'),
    ),
  })
  .map((choice) => () => {
    const header =
      typeof choice.header === 'object' && choice.header !== null && !Array.isArray(choice.header)
        ? {
            ...choice.header,
            ...('kid' in choice.header && choice.header.kid === 'issuer' ? { kid: issuer.keys[0]?.kid } : {}),
          }
        : choice.header;
    const payload = choice.payload === 'claims' ? issuer.claims() : choice.payload;
    const input = `${b64(header)}.${b64(payload)}`;
    let signature: string = choice.signature;
    if (signature === 'hmac-public-key') {
      signature = createHmac('sha256', rsaPublicPem).update(input).digest('base64url');
    } else if (signature === 'valid-token-signature') {
      signature = pool[0]?.text.split('.')[2] ?? '';
    }
    return { kind: 'forged', deserves: 401 as const, text: `${input}.${signature}` };
  });

/** Strings shaped like b64tokens (RFC 6750 §2.1) but no JWT, and strings of any characters. */
const garbageToken: fc.Arbitrary<() => FuzzToken> = fc
  .oneof(
    fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,80}=*$/),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
    fc.constantFrom(
      'eyJ',
      '..',
      'a.b.c',
      'a.b.c.d.e',
      '=',
      'Bearer',
      'null',
      '%20',
      'e30.e30.',
      'e30.e30.e30',
    ),
  )
  .map((text) => () => ({ kind: 'garbage', deserves: 401 as const, text }));

const poolToken: fc.Arbitrary<() => FuzzToken> = fc
  .nat()
  .map((index) => () => pool[index % pool.length] as FuzzToken);

const tokenArb = fc.oneof(
  { weight: 4, arbitrary: modelToken },
  { weight: 2, arbitrary: poolToken },
  { weight: 2, arbitrary: forgedToken },
  { weight: 1, arbitrary: garbageToken },
);

// ---------------------------------------------------------------------------------------------
// Requests

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** One Authorization field: the token after some scheme and whitespace, or any string. */
const authorizationField = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      scheme: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('Bearer', 'bearer', 'BEARER', 'BeArEr') },
        {
          weight: 1,
          arbitrary: fc.constantFrom('Basic', 'DPoP', 'Token', 'Bearer:', 'Bearerx', 'Bearer\t', 'MAC'),
        },
      ),
      gap: fc.constantFrom(' ', ' ', ' ', '  ', '   ', '', '\t', ' \t'),
      trailing: fc.constantFrom('', '', '', ' ', '  ', ' x', ',', '\t'),
      leading: fc.constantFrom('', '', '', ' ', '\t'),
    }),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((raw) => ({ raw })) },
);

type AuthorizationField = typeof authorizationField extends fc.Arbitrary<infer T> ? T : never;

const pathArb = fc.oneof(
  { weight: 12, arbitrary: fc.constant('/private') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '/private/',
      '/PRIVATE',
      '/Private',
      '/private//',
      '/%70rivate',
      '//private',
      '/private/..',
      '/private;x',
      '/public',
      '/healthz',
      '/',
      '*',
      '/private/x',
      '/.well-known/openid-configuration',
    ),
  },
  { weight: 1, arbitrary: fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map((p) => `/${p}`) },
);

const queryArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant('') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('?access_token=', '?access_token', '?ACCESS_TOKEN=x', '?access_token[]=x'),
  },
  { weight: 1, arbitrary: fc.constant('?access_token=TOKEN') },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), { maxLength: 4 })
      .map(
        (pairs) => `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`,
      ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map((q) => `?${q}`) },
);

const bodyArb = fc.oneof(
  { weight: 10, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc.record({
      contentType: fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=utf-8',
        'APPLICATION/X-WWW-FORM-URLENCODED',
        'application/json',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded; charset=koi8-r',
        '',
      ),
      text: fc.oneof(
        fc.constantFrom(
          'access_token=TOKEN',
          'a=1&access_token=TOKEN',
          'access_token',
          'access_token=',
          '%zz=1',
        ),
        fc.string({ maxLength: 60 }),
        fc.string({ maxLength: 3000, unit: 'binary' }),
        fc.nat({ max: 20_000 }).map((n) => `a=${'x'.repeat(n)}`),
      ),
    }),
  },
);

const otherHeaders = fc.array(
  fc.oneof(
    fc.tuple(
      fc.constantFrom('X-Forwarded-For', 'Accept', 'Cookie', 'X-Access-Token', 'Proxy-Authorization', 'DPoP'),
      fc.string({ maxLength: 40 }),
    ),
    fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/), fc.string({ unit: 'binary', maxLength: 30 })),
  ),
  { maxLength: 3 },
);

const requestArb = fc.record({
  method: fc.oneof(
    { weight: 10, arbitrary: fc.constant('GET') },
    {
      weight: 2,
      arbitrary: fc.constantFrom('HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'get', 'TRACE'),
    },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~-]{1,10}$/) },
  ),
  path: pathArb,
  query: queryArb,
  token: tokenArb,
  /** The token's Authorization fields: none, one, or several. */
  fields: fc
    .array(authorizationField, { minLength: 0, maxLength: 3 })
    .chain((fields): fc.Arbitrary<AuthorizationField[]> =>
      fields.length === 0 ? fc.constantFrom([], [], [{ raw: '' }]) : fc.constant(fields),
    ),
  /** Pads the token to a huge header (well below Node's 16 KiB header limit). */
  huge: fc.oneof(
    { weight: 20, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 12_000 }) },
  ),
  /** Where the Authorization field goes among the others, and its name's case. */
  headerName: fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION'),
  others: otherHeaders,
  body: bodyArb,
  /** Sent as raw bytes even when Node's client could send it (a quarter of the time). */
  raw: fc.nat({ max: 3 }).map((n) => n === 0),
});

type RequestChoice = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

interface BuiltRequest {
  request: FuzzRequest;
  token: FuzzToken;
  /** A `GET /private` carrying the token the one way RFC 6750 §2.1 allows. */
  wellFormed: boolean;
}

function buildRequest(choice: RequestChoice): BuiltRequest {
  const token = choice.token();
  const text = choice.huge > 0 ? `${token.text}${'A'.repeat(choice.huge)}` : token.text;
  const deserves = choice.huge > 0 ? 401 : token.deserves;
  sentTokens.add(text);
  const fields: [string, string][] = choice.fields.map((field) =>
    'raw' in field
      ? [choice.headerName, field.raw]
      : [choice.headerName, `${field.leading}${field.scheme}${field.gap}${text}${field.trailing}`],
  );
  const headers: [string, string][] = [...choice.others, ...fields];
  let body: string | undefined;
  if (choice.body !== undefined) {
    body = choice.body.text.replaceAll('TOKEN', encodeURIComponent(text));
    if (choice.body.contentType !== '') headers.push(['Content-Type', choice.body.contentType]);
  }
  const query = choice.query.replaceAll('TOKEN', encodeURIComponent(text));
  const onlyField = choice.fields.length === 1 ? choice.fields[0] : undefined;
  // Node's parser trims the field value (RFC 9110 §5.5); the API splits on SP only.
  const wellFormed =
    choice.method === 'GET' &&
    choice.path === '/private' &&
    query === '' &&
    body === undefined &&
    onlyField !== undefined &&
    !('raw' in onlyField) &&
    onlyField.scheme.toLowerCase() === 'bearer' &&
    /^ +$/.test(onlyField.gap) &&
    /^ *$/.test(onlyField.trailing) &&
    /^ *$/.test(onlyField.leading) &&
    B64TOKEN.test(text);
  return {
    request: { method: choice.method, target: `${choice.path}${query}`, headers, body },
    token: { ...token, deserves },
    wellFormed,
  };
}

async function send(built: BuiltRequest, raw: boolean): Promise<{ res: FuzzResponse; via: string }> {
  if (!raw && isClientSafe(built.request)) {
    return { res: await sendWithClient({ host: '127.0.0.1', port }, built.request, agent), via: 'client' };
  }
  return { res: await sendRaw(port, toRawBytes(built.request, `127.0.0.1:${port}`)), via: 'raw' };
}

/** The proof algorithms every DPoP challenge names (RFC 9449 §7.1). */
const DPOP_ALGS = 'ES256 ES384 ES512 EdDSA Ed25519 PS256 PS384 PS512 RS256 RS384 RS512';

/** Whether the request's (first) Authorization field uses the DPoP scheme: the answer is then in it. */
function usesDpop(request: FuzzRequest): boolean {
  const field = request.headers.find(([name]) => name.toLowerCase() === 'authorization');
  return field !== undefined && /^[ \t]*dpop /i.test(field[1]);
}

/** The challenge the API builds (RFC 6750 §3, RFC 9449 §7.1), with its description made header-safe. */
function expectedChallenge(error: string, description: string, extra = '', dpop = false): string {
  const safe = description.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '?');
  const params = `realm="api", error="${error}", error_description="${safe}"${extra}`;
  return dpop ? `DPoP ${params}, algs="${DPOP_ALGS}"` : `Bearer ${params}`;
}

/** Node's HTTP parser refused the request itself: a bare 4xx with no body (not the API's answer). */
function isParserRefusal(res: FuzzResponse): boolean {
  return [400, 414, 431].includes(res.status) && res.body === '' && header(res, 'content-type') === undefined;
}

function count(key: string): void {
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

function checkAnswer(built: BuiltRequest, res: FuzzResponse): void {
  const { request, token, wellFormed } = built;
  // Never a server error: the issuer is up, so not even a 503.
  expect(res.status, 'no 5xx').toBeLessThan(500);
  if (res.status === 0) {
    // Node's server drops a CONNECT (a tunnel request) that no 'connect' listener takes.
    expect(request.method).toBe('CONNECT');
    count('connect-dropped');
    return;
  }
  if (isParserRefusal(res)) {
    count(`parser-refusal-${res.status}`);
    return;
  }
  const challenges = res.headers['www-authenticate'] ?? [];
  expect(challenges.length, 'at most one challenge').toBeLessThanOrEqual(1);
  const challenge = challenges[0];
  if (request.method.toUpperCase() === 'HEAD') {
    expect(res.body).toBe('');
    count(`head-${res.status}`);
    return;
  }
  expect(header(res, 'content-type') ?? '').toMatch(/^application\/json/);
  const body = JSON.parse(res.body) as { message?: string; error?: string; error_description?: string };

  // The private message only for a genuine token, sent the one allowed way.
  if (body.message === PRIVATE_MESSAGE) {
    expect(res.status).toBe(200);
    expect(token.deserves, `accepted a ${token.kind} token`).toBe(200);
    const auth = request.headers.filter(([name]) => name.toLowerCase() === 'authorization');
    expect(auth).toHaveLength(1);
  }
  if (res.status === 200) {
    expect(
      body.message === PRIVATE_MESSAGE ||
        body.message === 'Anyone can read this message.' ||
        'status' in body,
    ).toBe(true);
  }
  if (wellFormed) {
    count('well-formed');
    expect(res.status, `a well-formed request with a ${token.kind} token`).toBe(token.deserves);
  }

  // No fuzzed request carries a valid DPoP proof: a DPoP request is refused, in the DPoP scheme.
  const dpop = usesDpop(request);
  if (dpop) expect(body.message, 'a DPoP request without a proof read the message').not.toBe(PRIVATE_MESSAGE);
  switch (res.status) {
    case 401:
      if (body.error === 'unauthorized') expect(challenge).toBe('Bearer realm="api"');
      else {
        expect(body.error).toBe(dpop && body.error === 'invalid_dpop_proof' ? 'invalid_dpop_proof' : 'invalid_token');
        expect(challenge).toBe(expectedChallenge(body.error ?? '', body.error_description ?? '', '', dpop));
      }
      break;
    case 403:
      expect(body.error).toBe('insufficient_scope');
      expect(challenge).toBe(
        expectedChallenge('insufficient_scope', body.error_description ?? '', `, scope="${REQUIRED_SCOPE}"`, dpop),
      );
      break;
    case 400:
      expect(body.error).toBe('invalid_request');
      expect(challenge, `a 400 (${body.error_description}) without its challenge`).toBe(
        expectedChallenge('invalid_request', body.error_description ?? '', '', dpop),
      );
      break;
    default:
      expect(challenge).toBeUndefined();
  }
  count(`${res.status}${body.error === undefined ? '' : ` ${body.error}`}`);
}

describe('the API under fuzzed requests (real HTTP, keep-alive and raw)', () => {
  it(`answers ${NUM_RUNS} fuzzed requests by the rules of RFC 6750`, async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(requestArb, async (choice) => {
        const built = buildRequest(choice);
        const { res, via } = await send(built, choice.raw);
        count(`via-${via}`);
        count(`token-${built.token.kind}`);
        checkAnswer(built, res);
      }),
      { numRuns: NUM_RUNS },
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `api fuzz: ${NUM_RUNS} cases in ${seconds.toFixed(1)} s; ${JSON.stringify(Object.fromEntries([...tally].sort()))}`,
    );
    // Both kinds of genuine answers were reached, not only refusals.
    expect(tally.get('200') ?? 0).toBeGreaterThan(0);
    expect(tally.get('403 insufficient_scope') ?? 0).toBeGreaterThan(0);
  });

  it('never wrote a token to the request log', () => {
    expect(logLines.length).toBeGreaterThan(0);
    const log = logLines.join('\n');
    for (const token of sentTokens) {
      if (token.length >= 16) expect(log.includes(token), 'a token in the log').toBe(false);
    }
  });

  it('a fresh genuine token still opens GET /private afterwards', async () => {
    const token = await issuer.sign({ claims: { jti: randomUUID() } });
    const res = await sendWithClient(
      { host: '127.0.0.1', port },
      { method: 'GET', target: '/private', headers: [['Authorization', `Bearer ${token}`]] },
      agent,
    );
    expect(res.status).toBe(200);
  });
});
