import { describe, expect, it } from 'vitest';
import { decodeStoredSession, encodeStoredSession } from '../../../src/core/session/stored-session.ts';

const ID = { issuer: 'https://idp.example.com/', clientId: 'desktop-app' };

describe('stored session codec', () => {
  it('round-trips a session bound to issuer, client and sub', () => {
    const raw = encodeStoredSession({ ...ID, sub: 'alice', refreshToken: 'rt-1' });
    expect(JSON.parse(raw)).toEqual({
      v: 1,
      iss: ID.issuer,
      client_id: ID.clientId,
      sub: 'alice',
      refresh_token: 'rt-1',
    });
    expect(decodeStoredSession(raw, ID)).toEqual({
      ok: true,
      session: { ...ID, sub: 'alice', refreshToken: 'rt-1' },
    });
  });

  it.each([
    ['not JSON', '{oops'],
    ['not an object', '"a string"'],
    ['an array', '[1,2]'],
    ['missing refresh token', JSON.stringify({ v: 1, iss: ID.issuer, client_id: ID.clientId, sub: 'a' })],
    [
      'empty sub',
      JSON.stringify({ v: 1, iss: ID.issuer, client_id: ID.clientId, sub: '', refresh_token: 'x' }),
    ],
    [
      'non-string token',
      JSON.stringify({ v: 1, iss: ID.issuer, client_id: ID.clientId, sub: 'a', refresh_token: 5 }),
    ],
    ['oversized', 'x'.repeat(70_000)],
  ])('a corrupt entry (%s) is reported, never thrown', (_label, raw) => {
    const decoded = decodeStoredSession(raw, ID);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.problem).toBe('corrupt');
  });

  it('an entry of another version is reported as unsupported', () => {
    const decoded = decodeStoredSession(JSON.stringify({ v: 3 }), ID);
    expect(decoded).toMatchObject({ ok: false, problem: 'unsupported-version' });
  });

  it('an entry for another issuer or client is foreign, and its detail never contains the token', () => {
    const otherIssuer = encodeStoredSession({
      ...ID,
      issuer: 'https://evil.example/',
      sub: 'a',
      refreshToken: 'SECRET-RT',
    });
    const otherClient = encodeStoredSession({
      ...ID,
      clientId: 'other',
      sub: 'a',
      refreshToken: 'SECRET-RT',
    });
    for (const raw of [otherIssuer, otherClient]) {
      const decoded = decodeStoredSession(raw, ID);
      expect(decoded).toMatchObject({ ok: false, problem: 'foreign' });
      expect(JSON.stringify(decoded)).not.toContain('SECRET-RT');
    }
  });

  it('an entry as version 1 has always written it decodes, its provider_cache_sha256 as the opaque binding', () => {
    const raw =
      '{"v":1,"iss":"https://idp.example.com/","client_id":"desktop-app","sub":"alice","refresh_token":"rt-1","provider_cache_sha256":"abc"}';
    expect(decodeStoredSession(raw, { issuer: 'https://idp.example.com/', clientId: 'desktop-app' })).toEqual(
      {
        ok: true,
        session: {
          issuer: 'https://idp.example.com/',
          clientId: 'desktop-app',
          sub: 'alice',
          refreshToken: 'rt-1',
          binding: 'abc',
        },
      },
    );
  });

  it('carries the binding (on disk: provider_cache_sha256) when there is one; an unusable one is dropped, not fatal', () => {
    const raw = encodeStoredSession({
      ...ID,
      sub: 'alice',
      refreshToken: 'rt-1',
      binding: 'abc',
    });
    expect(JSON.parse(raw)).toMatchObject({ provider_cache_sha256: 'abc' });
    expect(decodeStoredSession(raw, ID)).toEqual({
      ok: true,
      session: { ...ID, sub: 'alice', refreshToken: 'rt-1', binding: 'abc' },
    });
    const odd = JSON.stringify({ ...JSON.parse(raw), provider_cache_sha256: 42 });
    expect(decodeStoredSession(odd, ID)).toEqual({
      ok: true,
      session: { ...ID, sub: 'alice', refreshToken: 'rt-1' },
    });
  });

  describe('a DPoP-bound session (RFC 9449): the key rests with the refresh token', () => {
    const dpop = {
      alg: 'ES256',
      jkt: 'thumbprint',
      jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' },
    };
    const bound = { ...ID, sub: 'alice', refreshToken: 'rt-1', dpop };

    it('is written as version 2 with its key, and read back with it', () => {
      const raw = encodeStoredSession(bound);
      expect(JSON.parse(raw)).toMatchObject({ v: 2, refresh_token: 'rt-1', dpop });
      expect(decodeStoredSession(raw, ID)).toEqual({ ok: true, session: bound });
    });

    it('a version 2 entry without its key (or with half of it) is refused, never read as Bearer', () => {
      const entry = JSON.parse(encodeStoredSession(bound)) as Record<string, unknown>;
      for (const broken of [
        undefined,
        {},
        { ...dpop, jwk: { kty: 'EC' } },
        { ...dpop, jkt: '' },
        { ...dpop, alg: 5 },
      ]) {
        const raw = JSON.stringify({ ...entry, dpop: broken });
        expect(decodeStoredSession(raw, ID)).toMatchObject({ ok: false, problem: 'dpop-key-missing' });
      }
    });

    it('a version 1 (Bearer) entry that carries a key is corrupt', () => {
      const raw = JSON.stringify({ ...JSON.parse(encodeStoredSession(bound)), v: 1 });
      expect(decodeStoredSession(raw, ID)).toMatchObject({ ok: false, problem: 'corrupt' });
    });

    it('a Bearer session is still written as version 1, without a key', () => {
      const raw = encodeStoredSession({ ...ID, sub: 'alice', refreshToken: 'rt-1' });
      expect(JSON.parse(raw)).not.toHaveProperty('dpop');
      expect(JSON.parse(raw)).toMatchObject({ v: 1 });
    });
  });
});
