// The node:crypto fast path (src/auth/fast-signature.ts) against jose's `jwtVerify`, on the
// same generated tokens, with the same options and the same key set (a jose local JWKS behind
// the API's header policy): valid tokens of every accepted algorithm and key, and every
// mutation of header, claims, encoding, signature, algorithm and key. Any token on which the
// two disagree (accept or refuse, the payload and header of an accept, the error of a refusal)
// fails the test, which prints the seed and the tokens. DESIGN.md, "The API": no fast path
// without this test. DIFFERENTIAL_SEED and DIFFERENTIAL_TOKENS change the run.
import { constants, createHmac, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { CryptoKey } from 'jose';
import { describe, expect, it } from 'vitest';
import { createFastJwtVerify, createFastSignatureCheck } from '../../src/auth/fast-signature.ts';
import { accessTokenChecks, issuerKeyFor } from '../../src/auth/verify.ts';
import type { AccessTokenType } from '../../src/auth/verify.ts';

const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 0x15eed);
const TOKENS = Number(process.env.DIFFERENTIAL_TOKENS ?? 10_000);
const ISSUER = 'https://issuer.test.example';
const AUDIENCE = 'https://api.test.example';
const TOLERANCE = 30;
// A fixed clock (jose's `currentDate`), so that expiries at the tolerance's edges are exact.
const NOW = 1_800_000_000;

/** mulberry32: small, seeded, the same tokens on every run with the same seed. */
function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Random = ReturnType<typeof createRandom>;

// ---------------------------------------------------------------- keys

/** How an `alg` signs with node:crypto (RFC 7518 §3). */
const SIGNING: Record<string, { digest: string | null; kind: 'rsa' | 'pss' | 'ec' | 'ed'; bytes?: number }> =
  {
    RS256: { digest: 'sha256', kind: 'rsa' },
    RS384: { digest: 'sha384', kind: 'rsa' },
    RS512: { digest: 'sha512', kind: 'rsa' },
    PS256: { digest: 'sha256', kind: 'pss', bytes: 32 },
    PS384: { digest: 'sha384', kind: 'pss', bytes: 48 },
    PS512: { digest: 'sha512', kind: 'pss', bytes: 64 },
    ES256: { digest: 'sha256', kind: 'ec' },
    ES384: { digest: 'sha384', kind: 'ec' },
    ES512: { digest: 'sha512', kind: 'ec' },
    EdDSA: { digest: null, kind: 'ed' },
  };
const ALGS = Object.keys(SIGNING);

interface SigningKey {
  kid: string | undefined;
  privateKey: KeyObject;
  jwk: JsonWebKey;
}

function generate(
  kind: 'rsa' | 'ec' | 'ed',
  param: number | string,
): { privateKey: KeyObject; jwk: JsonWebKey } {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: param as number })
      : kind === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: param as string })
        : generateKeyPairSync('ed25519');
  return { privateKey: pair.privateKey, jwk: pair.publicKey.export({ format: 'jwk' }) };
}

/**
 * The issuer's keys (published), and outsiders of each type (never published). Published keys
 * vary in what jose's key set matches on: `alg` present or not, `use`, `key_ops`, size, `kid`.
 */
function createKeys() {
  const key = (kid: string, kind: 'rsa' | 'ec' | 'ed', param: number | string, extra: object = {}) => {
    const { privateKey, jwk } = generate(kind, param);
    return { kid, privateKey, jwk: { ...jwk, kid, ...extra } };
  };
  const published = {
    rsa: key('rsa', 'rsa', 2048),
    rsaPs384: key('rsa-ps384', 'rsa', 2048, { alg: 'PS384', use: 'sig' }),
    rsaSmall: key('rsa-1024', 'rsa', 1024),
    rsaEnc: key('rsa-enc', 'rsa', 2048, { use: 'enc' }),
    rsaSignOnly: key('rsa-sign-ops', 'rsa', 2048, { key_ops: ['sign'] }),
    rsaVerifyOps: key('rsa-verify-ops', 'rsa', 2048, { key_ops: ['verify'], alg: 'RS512' }),
    p256: key('p256', 'ec', 'P-256', { alg: 'ES256' }),
    p384: key('p384', 'ec', 'P-384'),
    p521: key('p521', 'ec', 'P-521', { use: 'sig' }),
    p256NoKid: { ...key('', 'ec', 'P-256'), kid: undefined },
    ed: key('ed', 'ed', 0),
  };
  delete (published.p256NoKid.jwk as { kid?: string }).kid;
  const outsiders = {
    rsa: key('rsa', 'rsa', 2048),
    p256: key('p256', 'ec', 'P-256'),
    p384: key('p384', 'ec', 'P-384'),
    p521: key('p521', 'ec', 'P-521'),
    ed: key('ed', 'ed', 0),
  };
  return { published, outsiders };
}
type Keys = ReturnType<typeof createKeys>;

/** The published keys that can sign `alg` so that jose's key set picks them. */
function signersFor(alg: string, { published: p }: Keys): SigningKey[] {
  const kind = SIGNING[alg]!.kind;
  if (kind === 'ed') return [p.ed as SigningKey];
  if (kind === 'ec') return [{ ES256: p.p256, ES384: p.p384, ES512: p.p521 }[alg] as SigningKey];
  const rsa: SigningKey[] = [p.rsa as SigningKey];
  if (alg === 'PS384') rsa.push(p.rsaPs384 as SigningKey);
  if (alg === 'RS512') rsa.push(p.rsaVerifyOps as SigningKey);
  return rsa;
}

function signBytes(
  alg: string,
  privateKey: KeyObject,
  input: Buffer,
  variant: { saltLength?: number; der?: boolean },
): Buffer {
  const { digest, kind, bytes } = SIGNING[alg]!;
  if (kind === 'pss') {
    const saltLength = variant.saltLength ?? bytes!;
    return sign(digest, input, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
  }
  if (kind === 'ec') {
    return sign(digest, input, { key: privateKey, dsaEncoding: variant.der ? 'der' : 'ieee-p1363' });
  }
  return sign(digest, input, privateKey);
}

// ---------------------------------------------------------------- tokens

/** A token before it is encoded and signed; mutations change it. */
interface Draft {
  /** The algorithm the signature is made with (the header may say otherwise). */
  alg: string;
  signer: SigningKey;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** Raw bytes instead of the JSON of `header` / `claims`. */
  headerBytes?: Buffer;
  payloadBytes?: Buffer;
  /** Re-spells a segment before signing (the signature covers the new spelling). */
  respell: ((segment: string, which: 'header' | 'payload') => string)[];
  signature: { saltLength?: number; der?: boolean; hmac?: boolean; none?: boolean; input?: string };
  /** Edits of the signed token. */
  after: ((token: string) => string)[];
}

const b64url = (bytes: Buffer) => bytes.toString('base64url');
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Inserts `text` at a random place of `s` (never before its first character). */
const insertAt = (r: Random, s: string, text: string) => {
  const at = 1 + r.int(Math.max(1, s.length - 1));
  return s.slice(0, at) + text + s.slice(at);
};

/** The signature segment of a signed token, edited. */
const editSignature = (edit: (signature: string) => string) => (token: string) => {
  const dot = token.lastIndexOf('.');
  return token.slice(0, dot + 1) + edit(token.slice(dot + 1));
};

/** Sets bits past the last byte (RFC 4648 §3.5): the same bytes to a lenient decoder. */
function nonCanonical(segment: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  if (segment.length % 4 === 0) return segment;
  const last = alphabet.indexOf(segment.at(-1)!);
  return segment.slice(0, -1) + alphabet[last | 1];
}

function baseDraft(r: Random, keys: Keys): Draft {
  const alg = r.pick(ALGS);
  const signer = r.pick(signersFor(alg, keys));
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    aud: r.pick([AUDIENCE, [AUDIENCE], ['https://other.example', AUDIENCE]]),
    sub: `user-${r.int(1000)}`,
    iat: NOW - r.int(600),
    exp: NOW + 1 + r.int(3600),
    scope: r.pick(['read:messages', 'openid read:messages', undefined]),
    jti: r.int(2 ** 31).toString(36),
    client_id: 'desktop-app',
  };
  if (r.next() < 0.2) claims.nbf = NOW - r.int(600);
  const header: Record<string, unknown> = { alg, typ: r.pick(['at+jwt', 'application/at+jwt']) };
  if (signer.kid !== undefined) header.kid = signer.kid;
  return { alg, signer, header, claims, respell: [], signature: {}, after: [] };
}

function encodeAndSign(draft: Draft): string {
  let header = b64url(draft.headerBytes ?? json(draft.header));
  let payload = b64url(draft.payloadBytes ?? json(draft.claims));
  for (const respell of draft.respell) {
    header = respell(header, 'header');
    payload = respell(payload, 'payload');
  }
  const input = `${header}.${payload}`;
  const signed = draft.signature.input ?? input;
  let signature: string;
  if (draft.signature.none) signature = '';
  else if (draft.signature.hmac) {
    signature = createHmac('sha256', JSON.stringify(draft.signer.jwk)).update(signed).digest('base64url');
  } else
    signature = b64url(signBytes(draft.alg, draft.signer.privateKey, Buffer.from(signed), draft.signature));
  return draft.after.reduce((token, edit) => edit(token), `${input}.${signature}`);
}

// ---------------------------------------------------------------- mutations

type Mutation = (draft: Draft, r: Random, keys: Keys) => void;

const setOrDelete = (target: Record<string, unknown>, name: string, value: unknown) => {
  if (value === undefined) delete target[name];
  else target[name] = value;
};
const claim =
  (name: string, values: readonly unknown[]): Mutation =>
  (d, r) =>
    setOrDelete(d.claims, name, r.pick(values));
const headerParameter =
  (name: string, values: readonly unknown[]): Mutation =>
  (d, r) =>
    setOrDelete(d.header, name, r.pick(values));
/** Raw JSON text for a segment, `$alg` and `$kid` standing for the draft's own. */
const rawText = (d: Draft, text: string) =>
  Buffer.from(text.replaceAll('$alg', d.alg).replaceAll('$kid', String(d.signer.kid)));
const respell =
  (which: 'header' | 'payload' | 'both', edit: (segment: string, r: Random) => string) =>
  (d: Draft, r: Random): void => {
    d.respell.push((segment, part) => (which === 'both' || which === part ? edit(segment, r) : segment));
  };

const MUTATIONS: Record<string, Mutation> = {
  // header
  'alg not accepted': headerParameter('alg', [
    'none',
    'HS256',
    'HS512',
    'RS1',
    'Ed25519',
    'ES256K',
    'ML-DSA-44',
    '',
    'rs256',
    'RSA-OAEP',
    123,
    null,
    ['RS256'],
    undefined,
    'constructor',
    '__proto__',
  ]),
  'alg of another accepted algorithm (alg/key mismatch)': (d, r) => (d.header.alg = r.pick(ALGS)),
  'none, unsigned': (d) => ((d.header.alg = 'none'), (d.signature.none = true)),
  'HS256 with the public key as secret': (d) => ((d.header.alg = 'HS256'), (d.signature.hmac = true)),
  kid: (d, r, keys) =>
    setOrDelete(
      d.header,
      'kid',
      r.pick([
        undefined,
        'unknown',
        42,
        '',
        null,
        ['rsa'],
        ...Object.values(keys.published).map((key) => key.kid),
      ]),
    ),
  typ: headerParameter('typ', [
    undefined,
    'JWT',
    'jwt',
    'AT+JWT',
    'At+Jwt',
    'application/at+jwt',
    'APPLICATION/AT+JWT',
    'application/jwt',
    'at+jwt ',
    ' at+jwt',
    'at+jwt; charset=utf-8',
    'application/at+jwt/x',
    'dpop+jwt',
    'secevent+jwt',
    5,
    null,
    ['at+jwt'],
    { typ: 'at+jwt' },
    true,
  ]),
  crit: (d, r) =>
    Object.assign(
      d.header,
      r.pick([
        { crit: ['b64'], b64: false },
        { crit: ['b64'], b64: true },
        { crit: ['b64'] },
        { crit: ['exp'] },
        { crit: [] },
        { crit: 'b64', b64: true },
        { crit: ['b64', 'b64'], b64: true },
        { crit: [''] },
        { crit: null },
        { crit: ['b64'], b64: 'false' },
      ]),
    ),
  'b64 without crit': headerParameter('b64', [false, true, 'no', null]),
  'embedded or remote key': (d, r) => {
    const parameter = r.pick(['jwk', 'jku', 'x5u', 'x5c']);
    d.header[parameter] = { jwk: d.signer.jwk, x5c: ['MIIB'] }[parameter] ?? 'https://evil.example/keys';
  },
  'extra header parameters': (d, r) =>
    Object.assign(
      d.header,
      r.pick([
        { cty: 'JWT' },
        { zip: 'DEF' },
        { x: { nested: [1, 2] } },
        { ppt: 'shaken' },
        { iss: ISSUER },
        { enc: 'A128GCM' },
      ]),
    ),
  'header not a JSON object': (d, r) =>
    (d.headerBytes = rawText(
      d,
      r.pick([
        '[]',
        'null',
        '"RS256"',
        '{',
        '{"alg":"$alg"',
        '',
        '1',
        'true',
        ' \n{"alg":"$alg","kid":"$kid","typ":"at+jwt"}\t',
        '{"alg":"none","alg":"$alg","kid":"$kid","typ":"at+jwt"}',
        '{"alg":"$alg","alg":"none","kid":"$kid","typ":"at+jwt"}',
        '{"alg":"$alg","kid":"$kid","typ":"at+jwt","__proto__":{"alg":"none","crit":["x"]}}',
        '{"alg":"$alg","kid":"$kid","typ":"at+jwt","constructor":1}',
      ]),
    )),
  'header bytes not UTF-8 (or a BOM)': (d, r) => {
    const text = rawText(d, '{"alg":"$alg","kid":"$kid","typ":"at+jwt"}');
    d.headerBytes = r.pick([
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]),
      Buffer.concat([text.subarray(0, -2), Buffer.from([0xff, 0x22, 0x7d])]),
      Buffer.concat([text.subarray(0, 8), Buffer.from([0xc3]), text.subarray(8)]),
    ]);
  },
  // claims
  iss: claim('iss', [
    undefined,
    'https://evil.example',
    `${ISSUER}/`,
    ISSUER.toUpperCase(),
    42,
    [ISSUER],
    null,
    '',
  ]),
  aud: claim('aud', [
    undefined,
    'https://other.example',
    [AUDIENCE],
    ['x', AUDIENCE],
    ['x'],
    [],
    42,
    null,
    [42, AUDIENCE],
    `${AUDIENCE}/`,
    { aud: AUDIENCE },
  ]),
  exp: claim('exp', [
    undefined,
    NOW - TOLERANCE,
    NOW - TOLERANCE + 1,
    NOW - TOLERANCE - 1,
    NOW - TOLERANCE + 0.5,
    NOW,
    NOW + 1,
    NOW - 3600,
    String(NOW + 300),
    null,
    1e300,
    -1,
    true,
    [NOW + 300],
    0,
  ]),
  nbf: claim('nbf', [
    undefined,
    NOW + TOLERANCE,
    NOW + TOLERANCE + 1,
    NOW + TOLERANCE - 1,
    NOW + TOLERANCE + 0.5,
    NOW + 3600,
    NOW - 100,
    '0',
    null,
    false,
  ]),
  iat: claim('iat', [undefined, 'yesterday', NOW + 1000, NOW + TOLERANCE + 1, null, 1.5, 0, -1, [NOW]]),
  sub: claim('sub', [undefined, 42, '', null, ['user-1'], { id: 1 }]),
  scope: claim('scope', [42, ['read:messages'], 'read:messages write:messages', null, '', undefined]),
  'extra claims': (d, r) =>
    Object.assign(
      d.claims,
      r.pick([
        { name: 'Zoë 👋 \u2028' },
        { nested: { deep: [1, { x: null }] } },
        { big: 2 ** 70 },
        { nonce: 'n' },
        { at_hash: 'x' },
        { cnf: { jkt: 'abc' } },
        { '': 1 },
        { __proto__x: 1 },
      ]),
    ),
  'payload not a JSON object': (d, r) =>
    (d.payloadBytes = rawText(
      d,
      r.pick([
        '[]',
        'null',
        '123',
        '"x"',
        '{',
        '',
        'true',
        `{"iss":"${ISSUER}","iss":"https://evil.example","aud":"${AUDIENCE}","sub":"u","iat":${NOW},"exp":${NOW + 60}}`,
        ` {"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"u","iat":${NOW},"exp":${NOW + 60}}\n`,
        `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"u","iat":${NOW},"exp":${NOW + 60},"__proto__":{"exp":1}}`,
      ]),
    )),
  'payload bytes not UTF-8 (or a BOM)': (d, r) => {
    const text = json(d.claims);
    d.payloadBytes = r.pick([
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]),
      Buffer.concat([text.subarray(0, 10), Buffer.from([0xed, 0xa0, 0x80]), text.subarray(10)]),
      Buffer.concat([text.subarray(0, -1), Buffer.from([0xc0, 0xaf, 0x7d])]),
    ]);
  },
  'huge claim (a token over 16 KiB)': (d, r) => (d.claims.padding = 'x'.repeat(16_000 + r.int(8_000))),
  // encodings, signed as spelled
  'padded with =': respell('both', (s) => s + '='.repeat((4 - (s.length % 4)) % 4)),
  'standard base64 alphabet': respell('both', (s) => s.replaceAll('-', '+').replaceAll('_', '/')),
  'whitespace inside a segment': (d, r) =>
    respell(r.pick(['header', 'payload'] as const), (s) =>
      insertAt(r, s, r.pick([' ', '\n', '\t', '\r\n', '\f'])),
    )(d, r),
  'bits set past the last byte': (d, r) =>
    respell(r.pick(['header', 'payload', 'both'] as const), nonCanonical)(d, r),
  'segment of length 4n + 1': (d, r) => respell(r.pick(['header', 'payload'] as const), (s) => `${s}A`)(d, r),
  'non-ASCII character in a segment': (d, r) =>
    respell(r.pick(['header', 'payload'] as const), (s) => insertAt(r, s, r.pick(['é', '\u00a0', '\u0000'])))(
      d,
      r,
    ),
  // signatures
  'signed by an outsider key of the same type': (d, _r, { outsiders }) => {
    const outsider = { rsa: outsiders.rsa, pss: outsiders.rsa, ed: outsiders.ed }[
      SIGNING[d.alg]!.kind as string
    ];
    const curve = { ES256: outsiders.p256, ES384: outsiders.p384, ES512: outsiders.p521 }[d.alg];
    d.signer = { ...(outsider ?? curve ?? outsiders.rsa), kid: d.signer.kid };
    if (outsider === undefined && curve === undefined) d.alg = 'RS256';
  },
  'signed by a published key the kid does not name': (d, r, { published }) => {
    const { kid } = d.signer;
    if (SIGNING[d.alg]!.kind === 'ed' || SIGNING[d.alg]!.kind === 'ec') {
      d.header.alg = d.alg = 'ES256';
      d.signer = { ...(published.p256NoKid as SigningKey), kid };
      return;
    }
    const pool = [
      published.rsaSmall,
      published.rsaEnc,
      published.rsaPs384,
      published.rsaVerifyOps,
      published.rsa,
    ];
    d.signer = { ...(r.pick(pool) as SigningKey), kid };
  },
  'kid and signature of an unusable published key (1024-bit, use enc, key_ops sign)': (
    d,
    r,
    { published },
  ) => {
    if (SIGNING[d.alg]!.kind !== 'rsa' && SIGNING[d.alg]!.kind !== 'pss') d.alg = 'RS256';
    d.signer = r.pick([published.rsaSmall, published.rsaEnc, published.rsaSignOnly]) as SigningKey;
    d.header.alg = d.alg;
    d.header.kid = d.signer.kid;
  },
  'no kid (two keys or one key match)': (d) => delete d.header.kid,
  'PSS salt of another length': (d, r, { published }) => {
    if (SIGNING[d.alg]!.kind !== 'pss') {
      d.header.alg = d.alg = r.pick(['PS256', 'PS384', 'PS512']);
      d.signer = published.rsa as SigningKey;
      d.header.kid = d.signer.kid;
    }
    d.signature.saltLength = r.pick([0, 20, 31, 33, 47, 49, 63, 65, constants.RSA_PSS_SALTLEN_MAX_SIGN]);
  },
  'ECDSA signature in DER': (d, r, keys) => {
    if (SIGNING[d.alg]!.kind !== 'ec') {
      d.header.alg = d.alg = r.pick(['ES256', 'ES384', 'ES512']);
      d.signer = signersFor(d.alg, keys)[0]!;
      d.header.kid = d.signer.kid;
    }
    d.signature.der = true;
  },
  'signature over other bytes': (d, r) =>
    (d.signature.input = r.pick(['', 'x', `${b64url(json(d.header))}.`])),
  'signature truncated': (d, r) =>
    d.after.push(editSignature((s) => s.slice(0, s.length - 1 - r.int(s.length)))),
  'signature extended': (d, r) =>
    d.after.push(editSignature((s) => s + r.pick(['A', 'AA', 'AAA', 'AAAA', 'AAAAAAAA']))),
  'signature empty': (d) => d.after.push(editSignature(() => '')),
  'signature with a flipped character': (d, r) =>
    d.after.push(
      editSignature((s) => {
        const at = r.int(s.length);
        return s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
      }),
    ),
  'signature padded, standard alphabet, or bits past the last byte': (d, r) =>
    d.after.push(
      editSignature(
        r.pick([
          (s: string) => s + '='.repeat((4 - (s.length % 4)) % 4),
          (s: string) => `${s}==`,
          (s: string) => s.replaceAll('-', '+').replaceAll('_', '/'),
          nonCanonical,
          (s: string) => insertAt(r, s, r.pick([' ', '\n'])),
        ]),
      ),
    ),
  // segments
  'segments added, removed or emptied': (d, r) =>
    d.after.push(
      r.pick([
        (t: string) => `${t}.`,
        (t: string) => `${t}.x`,
        (t: string) => t.slice(0, t.lastIndexOf('.')),
        (t: string) => `${t}.${t}`,
        (t: string) => t.replace('.', '..'),
        (t: string) => `.${t}`,
        (t: string) => t.slice(t.indexOf('.')),
        () => '',
        () => '..',
        () => '...',
        (t: string) => t.split('.').slice(0, 1).join(),
      ]),
    ),
  'whitespace or text around the token': (d, r) =>
    d.after.push(
      r.pick([
        (t: string) => ` ${t}`,
        (t: string) => `${t}\n`,
        (t: string) => `\t${t} `,
        (t: string) => `Bearer ${t}`,
        (t: string) => `${t}\u0000`,
      ]),
    ),
};

const MUTATION_NAMES = Object.keys(MUTATIONS);

/** A valid token of a random algorithm and key, then none (15 %), one, or up to three mutations. */
function generateToken(r: Random, keys: Keys): { token: string; mutations: string[] } {
  const draft = baseDraft(r, keys);
  const count = r.next() < 0.15 ? 0 : r.next() < 0.7 ? 1 : 2 + r.int(2);
  const mutations = Array.from({ length: count }, () => r.pick(MUTATION_NAMES));
  for (const name of mutations) MUTATIONS[name]!(draft, r, keys);
  try {
    return { token: encodeAndSign(draft), mutations };
  } catch {
    // A combination node:crypto cannot sign (say, an EdDSA key for an RS256 signature).
    draft.signature = { none: true };
    return {
      token: `${encodeAndSign(draft)}AAAA`,
      mutations: [...mutations, 'unsignable: a made-up signature'],
    };
  }
}

// ---------------------------------------------------------------- the comparison

type Outcome =
  | { accepted: true; payload: unknown; header: unknown; decidedBy?: string }
  | { accepted: false; error: string };

/** A refusal as the API tells them apart: jose's class and code, the claim and reason, the message. */
function describeError(err: unknown): string {
  const { name, code, claim, reason, message } = err as Record<string, unknown>;
  return JSON.stringify({ name, code, claim, reason, message });
}

async function outcomeOf(
  check: () => Promise<{ payload: unknown; protectedHeader?: unknown; decidedBy?: string }>,
): Promise<Outcome> {
  try {
    const { payload, protectedHeader, decidedBy } = await check();
    return { accepted: true, payload, header: protectedHeader, decidedBy };
  } catch (err) {
    return { accepted: false, error: describeError(err) };
  }
}

function agree(shipped: Outcome, reference: Outcome): boolean {
  if (shipped.accepted !== reference.accepted) return false;
  if (!shipped.accepted || !reference.accepted) {
    return (shipped as { error: string }).error === (reference as { error: string }).error;
  }
  return (
    JSON.stringify([shipped.payload, shipped.header]) ===
    JSON.stringify([reference.payload, reference.header])
  );
}

/** The WebCrypto algorithms a JWK's key type can be imported for: one of them is jose's for a given alg. */
function importAlgorithms({ kty, crv }: JsonWebKey) {
  const hashes = ['SHA-256', 'SHA-384', 'SHA-512'];
  if (kty === 'RSA') {
    return ['RSASSA-PKCS1-v1_5', 'RSA-PSS'].flatMap((name) => hashes.map((hash) => ({ name, hash })));
  }
  if (kty === 'EC') return [{ name: 'ECDSA', namedCurve: crv! }];
  return [{ name: 'Ed25519' }];
}

/**
 * A key source that is not a jose key set (as the API's own tests use): for the token's `kid`,
 * that key imported for any algorithm its type allows, or as a private `CryptoKey`, a
 * `KeyObject` or a JWK; without a known `kid`, any key. Chosen by the token's signature, so
 * the fast path and jose get the same one.
 */
async function anyKeyFor(keys: Keys) {
  const pool: { kid: string | undefined; key: unknown }[] = [];
  for (const { kid, jwk, privateKey } of [
    ...Object.values(keys.published),
    ...Object.values(keys.outsiders),
  ]) {
    const {
      alg: _alg,
      use: _use,
      key_ops: _ops,
      ...material
    } = jwk as JsonWebKey & { alg?: string; use?: string };
    for (const algorithm of importAlgorithms(jwk)) {
      pool.push({ kid, key: await crypto.subtle.importKey('jwk', material, algorithm, false, ['verify']) });
    }
    pool.push({ kid, key: createPublicKey(privateKey) }, { kid, key: jwk });
    const privateJwk = privateKey.export({ format: 'jwk' });
    const [signing] = importAlgorithms(jwk);
    pool.push({ kid, key: await crypto.subtle.importKey('jwk', privateJwk, signing!, false, ['sign']) });
  }
  return async (header: { kid?: unknown }, token: { signature: string }) => {
    const matching = pool.filter((entry) => entry.kid !== undefined && entry.kid === header.kid);
    const candidates = matching.length > 0 ? matching : pool;
    let hash = 0;
    for (const char of token.signature) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    return candidates[hash % candidates.length]!.key as CryptoKey;
  };
}

async function verifiersFor(keys: Keys) {
  const jwks = createLocalJWKSet({ keys: Object.values(keys.published).map((key) => key.jwk) });
  const keySources = {
    'jose local JWKS': issuerKeyFor(jwks),
    'any key': issuerKeyFor(await anyKeyFor(keys)),
  };
  const modes: [AccessTokenType, keyof typeof keySources][] = [
    ['at+jwt', 'jose local JWKS'],
    ['any', 'jose local JWKS'],
    ['at+jwt', 'any key'],
  ];
  return modes.map(([accessTokenType, source]) => {
    const keySet = keySources[source];
    const checks = {
      ...accessTokenChecks({
        issuer: ISSUER,
        audience: AUDIENCE,
        accessTokenType,
        clockToleranceSeconds: TOLERANCE,
      }),
      currentDate: new Date(NOW * 1000),
    };
    return {
      description: `typ ${accessTokenType}, ${source}`,
      // With the issuer's key set, every valid token must take the fast path.
      isKeySet: source === 'jose local JWKS',
      shipped: createFastJwtVerify(keySet, checks),
      fastPathAlone: createFastSignatureCheck(keySet, checks),
      jose: (token: string) => jwtVerify(token, keySet, checks),
    };
  });
}

describe('the node:crypto fast path against jose jwtVerify (DESIGN.md: a fast path only behind this test)', () => {
  it(`agrees with jose on ${TOKENS} generated tokens, seed ${SEED}`, { timeout: 180_000 }, async () => {
    const keys = createKeys();
    const verifiers = await verifiersFor(keys);
    const r = createRandom(SEED);
    const disagreements: string[] = [];
    const fastPath = { accepted: 0, refused: 0, leftToJose: 0, validNotDecided: 0 };
    let joseAccepted = 0;
    for (let index = 0; index < TOKENS; index += 1) {
      const { token, mutations } = generateToken(r, keys);
      const draw = r.next();
      const verifier = verifiers[draw < 0.6 ? 0 : draw < 0.8 ? 1 : 2]!;
      const shipped = await outcomeOf(() => verifier.shipped(token));
      const reference = await outcomeOf(() => verifier.jose(token));
      if (reference.accepted) joseAccepted += 1;
      if (!agree(shipped, reference)) {
        disagreements.push(
          `#${index} [${mutations.join(', ') || 'valid'}] ${verifier.description}\n` +
            `  token:   ${token.slice(0, 400)}\n  shipped: ${JSON.stringify(shipped).slice(0, 400)}\n` +
            `  jose:    ${JSON.stringify(reference).slice(0, 400)}`,
        );
      }
      const alone = await outcomeOf(async () => {
        const outcome = await verifier.fastPathAlone(token);
        return 'decidedBy' in outcome ? outcome : { payload: 'left to jose' };
      });
      if (!alone.accepted) fastPath.refused += 1;
      else if (alone.payload === 'left to jose') fastPath.leftToJose += 1;
      else fastPath.accepted += 1;
      if (
        verifier.isKeySet &&
        mutations.length === 0 &&
        !(alone.accepted && alone.decidedBy === 'node:crypto')
      ) {
        fastPath.validNotDecided += 1;
        disagreements.push(`#${index} [valid] not accepted by the fast path: ${JSON.stringify(alone)}`);
      }
    }
    const summary =
      `seed ${SEED}, ${TOKENS} tokens: jose accepted ${joseAccepted}; the fast path alone accepted ` +
      `${fastPath.accepted}, refused ${fastPath.refused}, left ${fastPath.leftToJose} to jose`;
    console.log(`[differential] ${summary}`);
    expect(
      disagreements,
      `${summary}\nDIFFERENTIAL_SEED=${SEED}; first disagreements:\n${disagreements.slice(0, 8).join('\n')}`,
    ).toEqual([]);
    // Not vacuous: the fast path itself decided most valid and most refused tokens (jose alone
    // decides the lenient spellings it accepts: padding, whitespace inside a segment, > 16 KiB).
    expect(fastPath.accepted).toBeGreaterThan(joseAccepted * 0.75);
    expect(fastPath.refused).toBeGreaterThan((TOKENS - joseAccepted) * 0.3);
  });
});
