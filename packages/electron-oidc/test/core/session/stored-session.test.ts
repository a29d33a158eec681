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
});
