/**
 * Where the accounts rest (issue 14): on a vault with entries, the index of
 * accounts in the vault's own entry and each account's session in
 * `entry(<account id>)`; the index never holds a token. A session stored by
 * the single-account release in the vault's own entry is taken over on first
 * read, and a crash in the middle leaves it to be taken over again.
 */
import { describe, expect, it } from 'vitest';
import {
  accountId,
  decodeAccountIndex,
  encodeAccountIndex,
} from '../../../src/core/accounts/account-index.ts';
import type { AccountIndex } from '../../../src/core/accounts/account-index.ts';
import {
  accountStore,
  indexedAccountStore,
  singleAccountStore,
} from '../../../src/core/accounts/account-store.ts';
import { AuthError } from '../../../src/core/errors.ts';
import { encodeStoredSession } from '../../../src/core/session/stored-session.ts';
import { MemoryVault } from '../../../src/core/vault/memory-vault.ts';
import { RecordingVault } from '../session/recording-vault.ts';
import { memoryLogger } from '../../support/memory-logger.ts';

const OWNER = { issuer: 'https://idp.example.com/', clientId: 'desktop-app' };
const ALICE = accountId(OWNER.issuer, 'alice');
const BOB = accountId(OWNER.issuer, 'bob');
const CAROL = accountId(OWNER.issuer, 'carol');

/** A session as the single-account release wrote it into the vault's own entry. */
const legacySession = (sub = 'alice', refreshToken = 'rt-legacy') =>
  encodeStoredSession({ ...OWNER, sub, refreshToken });

/** A MemoryVault that can fail its next root write (a crash or a locked keychain), and logs its root writes. */
class FlakyRootVault extends MemoryVault {
  failNextWrite = false;
  readonly rootWrites: string[] = [];
  override async write(value: string): Promise<void> {
    if (this.failNextWrite) {
      this.failNextWrite = false;
      throw new AuthError('ERR_VAULT_UNAVAILABLE', 'the keychain went away');
    }
    this.rootWrites.push(value);
    return super.write(value);
  }
}

const withAccount =
  (sub: string, active?: string) =>
  (index: AccountIndex): AccountIndex => ({
    accounts: [...index.accounts.filter((r) => r.sub !== sub), { id: accountId(OWNER.issuer, sub), sub }],
    active: active ?? index.active,
  });

describe('indexed account store', () => {
  it('on an empty vault: no accounts, nothing written', async () => {
    const vault = new FlakyRootVault();
    const store = indexedAccountStore(vault, OWNER, memoryLogger());
    expect(store.several).toBe(true);
    expect(await store.load()).toEqual({ accounts: [], active: undefined });
    expect(vault.rootWrites).toEqual([]);
  });

  it('keeps the index in the root entry and each session in its account’s entry', async () => {
    const vault = new MemoryVault();
    const store = indexedAccountStore(vault, OWNER, memoryLogger());
    await store.entry(ALICE).write(legacySession('alice', 'rt-alice'));
    await store.update(withAccount('alice', ALICE));
    expect(store.entry(ALICE)).toBe(vault.entry(ALICE));
    expect(decodeAccountIndex((await vault.read())!, OWNER)).toEqual({
      ok: true,
      index: { accounts: [expect.objectContaining({ id: ALICE, sub: 'alice' })], active: ALICE },
    });
    expect(await store.load()).toMatchObject({ accounts: [{ id: ALICE }], active: ALICE });
  });

  it('the index never contains a refresh token', async () => {
    const vault = new MemoryVault();
    const store = indexedAccountStore(vault, OWNER, memoryLogger());
    await vault.write(legacySession('alice', 'rt-alice-secret'));
    await store.load();
    await store.entry(BOB).write(legacySession('bob', 'rt-bob-secret'));
    await store.update(withAccount('bob', BOB));
    const root = (await vault.read())!;
    expect(root).not.toMatch(/rt-/);
    expect(root).not.toMatch(/refresh/i);
    expect(await vault.entry(ALICE).read()).toContain('rt-alice-secret');
  });

  describe('taking over a single-account session', () => {
    it('copies the exact stored string into the account’s entry, then writes the index', async () => {
      const vault = new FlakyRootVault();
      // Not as this release would encode it: extra members and spacing must survive the move.
      const raw = JSON.stringify({ ...JSON.parse(legacySession()), future_member: { keep: true } }, null, 1);
      await vault.write(raw);
      vault.rootWrites.length = 0;
      const logger = memoryLogger();
      const index = await indexedAccountStore(vault, OWNER, logger).load();
      expect(index).toEqual({ accounts: [{ id: ALICE, sub: 'alice' }], active: ALICE });
      expect(await vault.entry(ALICE).read()).toBe(raw);
      expect(decodeAccountIndex((await vault.read())!, OWNER)).toMatchObject({ ok: true, index });
      expect(vault.rootWrites).toHaveLength(1);
      expect(logger.lines).toContainEqual(expect.stringMatching(/^info Moved the stored session/));
    });

    it('keeps a DPoP-bound (version 2) session’s key with it', async () => {
      const vault = new MemoryVault();
      const raw = encodeStoredSession({
        ...OWNER,
        sub: 'alice',
        refreshToken: 'rt-dpop',
        dpop: { alg: 'ES256', jkt: 'thumbprint', jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' } },
      });
      await vault.write(raw);
      await indexedAccountStore(vault, OWNER, memoryLogger()).load();
      expect(await vault.entry(ALICE).read()).toBe(raw);
    });

    it('is idempotent: a second load, or another store on the vault, reads the index and moves nothing', async () => {
      const vault = new FlakyRootVault();
      await vault.write(legacySession());
      const first = await indexedAccountStore(vault, OWNER, memoryLogger()).load();
      const writes = vault.rootWrites.length;
      const entry = await vault.entry(ALICE).read();
      expect(await indexedAccountStore(vault, OWNER, memoryLogger()).load()).toEqual(first);
      expect(vault.rootWrites).toHaveLength(writes);
      expect(await vault.entry(ALICE).read()).toBe(entry);
    });

    it('a crash between the two writes leaves the session in the root, and the next load takes it over again', async () => {
      const vault = new FlakyRootVault();
      const raw = legacySession();
      await vault.write(raw);
      vault.failNextWrite = true;
      const logger = memoryLogger();
      await expect(indexedAccountStore(vault, OWNER, logger).load()).rejects.toMatchObject({
        code: 'ERR_VAULT_UNAVAILABLE',
      });
      // The entry was written first; the root still holds the session, not a half index.
      expect(await vault.read()).toBe(raw);
      expect(await vault.entry(ALICE).read()).toBe(raw);
      expect(logger.lines).toContainEqual(expect.stringMatching(/^warn Could not move the stored session/));

      expect(await indexedAccountStore(vault, OWNER, memoryLogger()).load()).toEqual({
        accounts: [{ id: ALICE, sub: 'alice' }],
        active: ALICE,
      });
      expect(await vault.entry(ALICE).read()).toBe(raw);
    });

    it('a session of another issuer or client is not taken over: no accounts, a warning, the entry left', async () => {
      const vault = new FlakyRootVault();
      const foreign = encodeStoredSession({
        ...OWNER,
        clientId: 'other-app',
        sub: 'alice',
        refreshToken: 'rt',
      });
      await vault.write(foreign);
      const logger = memoryLogger();
      expect(await indexedAccountStore(vault, OWNER, logger).load()).toEqual({
        accounts: [],
        active: undefined,
      });
      expect(logger.lines).toContainEqual(
        expect.stringMatching(/^warn Ignoring the stored session \(foreign\)/),
      );
      expect(await vault.entry(ALICE).read()).toBeUndefined();
    });
  });

  it('a corrupt root reads as no accounts, with a warning, and never throws', async () => {
    for (const corrupt of [
      '{"type":',
      'garbage',
      JSON.stringify({ type: 'electron-oidc/accounts', v: 99 }),
    ]) {
      const vault = new MemoryVault();
      await vault.write(corrupt);
      const logger = memoryLogger();
      expect(await indexedAccountStore(vault, OWNER, logger).load()).toEqual({
        accounts: [],
        active: undefined,
      });
      expect(logger.lines).toEqual([expect.stringMatching(/^warn Ignoring the stored (session|accounts)/)]);
    }
  });

  it('an index of another client reads as no accounts, with a warning', async () => {
    const vault = new MemoryVault();
    await vault.write(
      encodeAccountIndex(
        { accounts: [{ id: ALICE, sub: 'alice' }], active: ALICE },
        { ...OWNER, clientId: 'x' },
      ),
    );
    const logger = memoryLogger();
    expect(await indexedAccountStore(vault, OWNER, logger).load()).toEqual({
      accounts: [],
      active: undefined,
    });
    expect(logger.lines).toEqual([expect.stringMatching(/another issuer or client/)]);
  });

  it('update re-reads the stored index: two stores on one vault do not lose each other’s accounts', async () => {
    const vault = new MemoryVault();
    const one = indexedAccountStore(vault, OWNER, memoryLogger());
    const two = indexedAccountStore(vault, OWNER, memoryLogger());
    await one.load();
    await two.load();
    await one.update(withAccount('alice', ALICE));
    await two.update(withAccount('bob', BOB));
    await one.update(withAccount('carol'));
    expect((await one.load()).accounts.map((r) => r.id)).toEqual([ALICE, BOB, CAROL]);
    expect((await two.load()).active).toBe(BOB);
  });

  it('an update that changes nothing writes nothing', async () => {
    const vault = new MemoryVault();
    const store = indexedAccountStore(vault, OWNER, memoryLogger());
    await store.update(withAccount('alice', ALICE));
    let writes = 0;
    const write = vault.write.bind(vault);
    vault.write = async (value) => {
      writes++;
      await write(value);
    };
    await store.update((index) => ({ ...index, active: ALICE }));
    expect(writes).toBe(0);
    await store.update(withAccount('bob', BOB));
    expect(writes).toBe(1);
  });

  it('update runs under the root’s exclusive, so concurrent updates are not lost', async () => {
    const vault = new MemoryVault() as MemoryVault & { exclusive<T>(work: () => Promise<T>): Promise<T> };
    let tail: Promise<unknown> = Promise.resolve();
    let inside = 0;
    let most = 0;
    vault.exclusive = <T>(work: () => Promise<T>): Promise<T> => {
      const run = tail.then(async () => {
        most = Math.max(most, ++inside);
        try {
          return await work();
        } finally {
          inside--;
        }
      });
      tail = run.catch(() => undefined);
      return run;
    };
    const stores = ['alice', 'bob', 'carol', 'dave'].map((sub) => ({
      sub,
      store: indexedAccountStore(vault, OWNER, memoryLogger()),
    }));
    await Promise.all(stores.map(({ sub, store }) => store.update(withAccount(sub))));
    expect(most).toBe(1);
    expect((await stores[0]!.store.load()).accounts.map((r) => r.sub).sort()).toEqual([
      'alice',
      'bob',
      'carol',
      'dave',
    ]);
  });

  it('an update that leaves no account clears the root: nothing stays behind after the last sign-out', async () => {
    const vault = new MemoryVault();
    const store = indexedAccountStore(vault, OWNER, memoryLogger());
    await store.update(withAccount('alice', ALICE));
    await store.update(() => ({ accounts: [], active: undefined }));
    expect(await vault.read()).toBeUndefined();
    expect(await store.load()).toEqual({ accounts: [], active: undefined });
  });

  it('update on a root that still holds a single-account session takes it over first', async () => {
    const vault = new MemoryVault();
    await vault.write(legacySession());
    await indexedAccountStore(vault, OWNER, memoryLogger()).update(withAccount('bob', BOB));
    expect(decodeAccountIndex((await vault.read())!, OWNER)).toMatchObject({
      ok: true,
      index: { accounts: [{ id: ALICE }, { id: BOB }], active: BOB },
    });
    expect(await vault.entry(ALICE).read()).toBe(legacySession());
  });
});

describe('single account store (a vault without entries)', () => {
  it('has one account, whose session is the vault’s own value; there is no index', async () => {
    const vault = new RecordingVault([], legacySession());
    const store = singleAccountStore(vault, OWNER, memoryLogger());
    expect(store.several).toBe(false);
    expect(await store.load()).toEqual({ accounts: [{ id: ALICE, sub: 'alice' }], active: ALICE });
    expect(store.entry(ALICE)).toBe(vault);
    await store.update(withAccount('bob', BOB));
    // Nothing but the session is ever written there.
    expect(vault.log).toEqual([]);
    expect(vault.value).toBe(legacySession());
  });

  it('an empty, corrupt or foreign value is no account (with a warning for the latter two)', async () => {
    expect(await singleAccountStore(new RecordingVault(), OWNER, memoryLogger()).load()).toEqual({
      accounts: [],
      active: undefined,
    });
    for (const bad of [
      'corrupt',
      encodeStoredSession({ ...OWNER, issuer: 'https://x/', sub: 'a', refreshToken: 'r' }),
    ]) {
      const logger = memoryLogger();
      expect(await singleAccountStore(new RecordingVault([], bad), OWNER, logger).load()).toEqual({
        accounts: [],
        active: undefined,
      });
      expect(logger.lines).toEqual([expect.stringMatching(/^warn Ignoring the stored session/)]);
    }
  });

  it('accountStore picks the indexed store where the vault has entries, else the single one', () => {
    expect(accountStore(new MemoryVault(), OWNER, memoryLogger()).several).toBe(true);
    expect(accountStore(new RecordingVault(), OWNER, memoryLogger()).several).toBe(false);
  });
});
