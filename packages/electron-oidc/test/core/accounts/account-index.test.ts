/**
 * The index of accounts (issue 14): which accounts of one issuer and client
 * are signed in, and which is active. It rests in the vault's own entry, so
 * it is checked like a stored session: bound to its issuer and client,
 * versioned, size-capped, and never a crash for what it cannot use.
 */
import { describe, expect, it } from 'vitest';
import {
  EMPTY_INDEX,
  accountId,
  decodeAccountIndex,
  encodeAccountIndex,
  isAccountIndex,
} from '../../../src/core/accounts/account-index.ts';
import type { AccountIndex, AccountRecord } from '../../../src/core/accounts/account-index.ts';
import { encodeStoredSession } from '../../../src/core/session/stored-session.ts';

const OWNER = { issuer: 'https://idp.example.com/', clientId: 'desktop-app' };

function record(sub: string, extra: Partial<AccountRecord> = {}): AccountRecord {
  return { id: accountId(OWNER.issuer, sub), sub, ...extra };
}

const alice = record('alice', {
  name: 'Alice',
  email: 'alice@example.com',
  picture: 'https://idp.example.com/a.png',
});
const bob = record('bob', { email: 'bob@example.com' });

/** An encoded index with some members replaced (to forge what another program might have stored). */
function storedWith(
  members: Record<string, unknown>,
  index: AccountIndex = { accounts: [alice], active: alice.id },
) {
  return JSON.stringify({ ...JSON.parse(encodeAccountIndex(index, OWNER)), ...members });
}

describe('account id', () => {
  it('is the issuer and subject pair (OIDC Core §2), stable, and usable as a vault entry name', () => {
    const id = accountId(OWNER.issuer, 'alice');
    expect(id).toBe(accountId(OWNER.issuer, 'alice'));
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(accountId('https://other.example.com/', 'alice')).not.toBe(id);
    expect(accountId(OWNER.issuer, 'bob')).not.toBe(id);
    // Says nothing about the user.
    expect(id).not.toContain('alice');
  });
});

describe('account index', () => {
  it('round-trips accounts, their display hints, their order and the active one', () => {
    const index: AccountIndex = { accounts: [alice, bob], active: bob.id };
    const raw = encodeAccountIndex(index, OWNER);
    expect(isAccountIndex(raw)).toBe(true);
    expect(decodeAccountIndex(raw, OWNER)).toEqual({
      ok: true,
      index: {
        accounts: [alice, { ...bob, name: undefined, picture: undefined }],
        active: bob.id,
      },
    });
  });

  it('round-trips the empty index', () => {
    const decoded = decodeAccountIndex(encodeAccountIndex(EMPTY_INDEX, OWNER), OWNER);
    expect(decoded).toEqual({ ok: true, index: { accounts: [], active: undefined } });
  });

  it('never holds a token, even when handed a record that carries one', () => {
    const leaky = { ...alice, refreshToken: 'rt-secret', accessToken: 'at-secret', idToken: 'id-secret' };
    const raw = encodeAccountIndex({ accounts: [leaky], active: alice.id }, OWNER);
    expect(raw).not.toMatch(/secret/);
    expect(Object.keys(JSON.parse(raw).accounts[0]).sort()).toEqual([
      'email',
      'id',
      'name',
      'picture',
      'sub',
    ]);
  });

  it('tells an index from a stored session and from anything else', () => {
    expect(isAccountIndex(encodeStoredSession({ ...OWNER, sub: 'alice', refreshToken: 'rt' }))).toBe(false);
    expect(isAccountIndex('not json')).toBe(false);
    expect(isAccountIndex('null')).toBe(false);
    expect(isAccountIndex('{"type":"something-else"}')).toBe(false);
  });

  it('refuses an index of another issuer', () => {
    const raw = encodeAccountIndex(
      { accounts: [alice], active: alice.id },
      { ...OWNER, issuer: 'https://evil.example/' },
    );
    expect(decodeAccountIndex(raw, OWNER)).toEqual({
      ok: false,
      problem: 'the index of accounts belongs to another issuer or client',
    });
  });

  it('refuses an index of another client', () => {
    const raw = encodeAccountIndex(
      { accounts: [alice], active: alice.id },
      { ...OWNER, clientId: 'other-app' },
    );
    expect(decodeAccountIndex(raw, OWNER)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/another/),
    });
  });

  it('drops an account whose id does not match its subject (an id naming another account’s entry)', () => {
    const forged = { ...bob, id: alice.id };
    const raw = storedWith({
      accounts: [alice, forged, { id: 'x', sub: '' }, { sub: 'carol' }, 'junk', null],
    });
    const decoded = decodeAccountIndex(raw, OWNER);
    expect(decoded).toEqual({ ok: true, index: { accounts: [alice], active: alice.id } });
  });

  it('drops an active that names no listed account', () => {
    expect(decodeAccountIndex(storedWith({ active: bob.id }), OWNER)).toEqual({
      ok: true,
      index: { accounts: [alice], active: undefined },
    });
    expect(decodeAccountIndex(storedWith({ active: 42 }), OWNER)).toMatchObject({
      index: { active: undefined },
    });
  });

  it('keeps only text display hints (no objects or numbers passed on to the app)', () => {
    const raw = storedWith({ accounts: [{ ...alice, name: { html: '<b>' }, email: 7, picture: '' }] });
    expect(decodeAccountIndex(raw, OWNER)).toEqual({
      ok: true,
      index: {
        accounts: [{ id: alice.id, sub: 'alice', name: undefined, email: undefined, picture: undefined }],
        active: alice.id,
      },
    });
  });

  it('refuses an unknown version, naming it', () => {
    expect(decodeAccountIndex(storedWith({ v: 2 }), OWNER)).toEqual({
      ok: false,
      problem: 'the index of accounts has an unknown format (version 2)',
    });
    expect(decodeAccountIndex(storedWith({ accounts: 'alice' }), OWNER)).toMatchObject({ ok: false });
  });

  it('refuses what is not JSON, or not an object, without throwing', () => {
    expect(decodeAccountIndex('{"type":', OWNER)).toEqual({
      ok: false,
      problem: 'the index of accounts is not JSON',
    });
    expect(decodeAccountIndex('null', OWNER)).toMatchObject({ ok: false });
    expect(decodeAccountIndex('123', OWNER)).toMatchObject({ ok: false });
  });

  it('refuses a too large index before parsing it', () => {
    const many = Array.from({ length: 3000 }, (_, i) => record(`user-${i}`, { name: 'x'.repeat(80) }));
    const raw = encodeAccountIndex({ accounts: many, active: undefined }, OWNER);
    expect(raw.length).toBeGreaterThan(256 * 1024);
    expect(decodeAccountIndex(raw, OWNER)).toEqual({
      ok: false,
      problem: 'the index of accounts is too large',
    });
  });
});
