/**
 * The signed-in accounts (issue 14): one real TokenSession per account on its
 * own MemoryVault entry, refreshed by a fake refresh grant that rotates and
 * says `invalid_grant` for a dead token as a provider does. Each account's
 * refresh and offline state is its own; one account's session ending
 * removes that account only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AccountSet } from '../../../src/core/accounts/account-set.ts';
import { accountId, decodeAccountIndex } from '../../../src/core/accounts/account-index.ts';
import { accountStore } from '../../../src/core/accounts/account-store.ts';
import type { AccountsMode } from '../../../src/core/config.ts';
import { AuthError } from '../../../src/core/errors.ts';
import type { Logger } from '../../../src/core/logger.ts';
import type { Profile } from '../../../src/core/profile.ts';
import { TokenSession } from '../../../src/core/session/token-session.ts';
import type { SessionState, TokenGrant } from '../../../src/core/session/token-session.ts';
import { MemoryVault } from '../../../src/core/vault/memory-vault.ts';
import type { Vault } from '../../../src/core/vault/vault.ts';
import { RecordingVault } from '../session/recording-vault.ts';
import { memoryLogger } from '../../support/memory-logger.ts';

const OWNER = { issuer: 'https://idp.example.com/', clientId: 'desktop-app' };
const id = (sub: string) => accountId(OWNER.issuer, sub);
const EMAILS: Record<string, string> = {
  alice: 'Alice@Example.com',
  bob: 'bob@example.com',
  carol: 'carol@example.com',
};

/**
 * A provider's token endpoint: refresh tokens `rt-<sub>-<n>`, rotated on every
 * refresh; a dead one gets `invalid_grant`; `offline` makes it unreachable.
 */
class FakeProvider {
  readonly presented: string[] = [];
  readonly offline = new Set<string>();
  #live = new Set<string>();
  #count = 0;

  /** The grant a sign-in as `sub` produces. */
  signIn(sub: string): TokenGrant {
    const n = ++this.#count;
    const refreshToken = `rt-${sub}-${n}`;
    this.#live.add(refreshToken);
    return {
      accessToken: `at-${sub}-${n}`,
      expiresInSeconds: 600,
      refreshToken,
      idToken: `id-${sub}-${n}`,
      claims: { sub, email: EMAILS[sub] },
    };
  }

  /** Revokes every refresh token of `sub` behind the library's back. */
  revoke(sub: string): void {
    for (const token of this.#live) if (token.startsWith(`rt-${sub}-`)) this.#live.delete(token);
  }

  refresh = async (refreshToken: string): Promise<TokenGrant> => {
    this.presented.push(refreshToken);
    const sub = refreshToken.split('-')[1]!;
    // A network round trip: other callers run meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.offline.has(sub)) throw new AuthError('ERR_PROVIDER_UNREACHABLE', 'cannot reach');
    if (!this.#live.delete(refreshToken)) {
      throw new AuthError('ERR_SESSION_EXPIRED', 'ended', { oauthError: 'invalid_grant' });
    }
    const n = ++this.#count;
    const next = `rt-${sub}-${n}`;
    this.#live.add(next);
    return { accessToken: `at-${sub}-${n}`, expiresInSeconds: 600, refreshToken: next, claims: { sub } };
  };
}

interface Harness {
  set: AccountSet;
  vault: Vault;
  provider: FakeProvider;
  logger: Logger & { lines: string[] };
  clock: { now: number };
}

let opened: AccountSet[] = [];
afterEach(() => {
  for (const set of opened) set.dispose();
  opened = [];
});

/** An AccountSet as the facade builds it, on `vault` (a restart: another set on the same vault). */
function makeSet(
  options: {
    vault?: Vault;
    provider?: FakeProvider;
    mode?: AccountsMode;
    clock?: { now: number };
    retrySchedule?: number[];
  } = {},
): Harness {
  const vault = options.vault ?? new MemoryVault();
  const provider = options.provider ?? new FakeProvider();
  const clock = options.clock ?? { now: 1_000_000 };
  const logger = memoryLogger();
  const set = new AccountSet({
    store: accountStore(vault, OWNER, logger),
    issuer: OWNER.issuer,
    mode: options.mode ?? 'multiple',
    logger,
    openSession: (entry, onEnded) =>
      new TokenSession({
        vault: entry,
        identity: OWNER,
        refresh: provider.refresh,
        logger,
        refreshAheadMs: 60_000,
        now: () => clock.now,
        retrySchedule: options.retrySchedule ?? [60_000],
        onEnded,
      }),
    profileReader: (session) => async (): Promise<Profile | undefined> => {
      const sub = session.subject;
      if (sub === undefined) return undefined;
      const email = session.claims?.email;
      return typeof email === 'string' ? { sub, email } : { sub };
    },
  });
  opened.push(set);
  return { set, vault, provider, logger, clock };
}

/** Signs `subs` in, one after another, as interactive sign-ins do. */
async function signIn(h: Harness, ...subs: string[]): Promise<void> {
  for (const sub of subs) {
    h.set.beginSignIn();
    await h.set.establish(h.provider.signIn(sub));
    const account = h.set.active!;
    const profile = await account.getProfile();
    if (profile !== undefined) await h.set.remember(account, profile);
  }
}

async function storedIndex(vault: Vault) {
  const decoded = decodeAccountIndex((await vault.read())!, OWNER);
  if (!decoded.ok) throw new Error(decoded.problem);
  return decoded.index;
}

const refreshTokenIn = async (vault: Vault, sub: string) => {
  const raw = await vault.entry!(id(sub)).read();
  return raw === undefined ? undefined : (JSON.parse(raw) as { refresh_token: string }).refresh_token;
};

function nextState(set: AccountSet, wanted: SessionState): Promise<void> {
  return new Promise((resolve) => {
    const off = set.onStateChange((s) => {
      if (s === wanted) {
        off();
        resolve();
      }
    });
  });
}

describe('account set: several accounts', () => {
  it('adds two accounts, each with its own entry; the last signed in is active', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    expect(h.set.list()).toEqual([
      { id: id('alice'), email: 'Alice@Example.com', active: false, state: 'signed-in' },
      { id: id('bob'), email: 'bob@example.com', active: true, state: 'signed-in' },
    ]);
    expect(h.set.state).toBe('signed-in');
    expect(await refreshTokenIn(h.vault, 'alice')).toBe('rt-alice-1');
    expect(await refreshTokenIn(h.vault, 'bob')).toBe('rt-bob-2');
    expect(await storedIndex(h.vault)).toMatchObject({
      accounts: [{ id: id('alice') }, { id: id('bob') }],
      active: id('bob'),
    });
    // The index in the root entry never holds a token.
    expect(await h.vault.read()).not.toMatch(/rt-|at-|id-alice|id-bob/);
  });

  it('a sign-in as an account already there renews it in place', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob', 'alice');
    expect(h.set.list().map((a) => [a.id, a.active])).toEqual([
      [id('alice'), true],
      [id('bob'), false],
    ]);
    expect(await refreshTokenIn(h.vault, 'alice')).toBe('rt-alice-3');
    expect(await h.set.active!.session.getAccessToken()).toBe('at-alice-3');
  });

  it('use() switches the active account, stored for the next launch', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    const changes: string[] = [];
    h.set.onAccountsChange(() => changes.push(h.set.active!.record.sub));
    expect(await h.set.use('alice')).toBe('signed-in');
    expect(h.set.active?.record.sub).toBe('alice');
    expect(await h.set.active!.session.getAccessToken()).toBe('at-alice-1');
    expect((await storedIndex(h.vault)).active).toBe(id('alice'));
    expect(changes).toContain('alice');
    // A restart keeps both and the active one.
    const again = makeSet({ vault: h.vault, provider: h.provider });
    expect(await again.set.restore()).toBe('signed-in');
    expect(again.set.list().map((a) => [a.id, a.active])).toEqual([
      [id('alice'), true],
      [id('bob'), false],
    ]);
    expect(h.provider.presented).toEqual(['rt-alice-1']);
  });

  it('each account refreshes on its own, single-flight: many callers at expiry cause one refresh per account', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    h.provider.presented.length = 0;
    h.clock.now += 600_000;
    const [alice, bob] = [h.set.find('alice').session, h.set.find('bob').session];
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? alice : bob).getAccessToken()),
    );
    expect(new Set(tokens.map((t) => t.split('-')[1]))).toEqual(new Set(['alice', 'bob']));
    expect(new Set(tokens).size).toBe(2);
    expect(h.provider.presented.sort()).toEqual(['rt-alice-1', 'rt-bob-2']);
  });

  it('the state is the active account’s: offline for one, signed-in for the other', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    h.provider.offline.add('bob');
    h.clock.now += 600_000;
    const states: SessionState[] = [];
    h.set.onStateChange((s) => states.push(s));
    await expect(h.set.active!.session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_OFFLINE' });
    expect(h.set.state).toBe('offline');
    // Alice's renewal is her own: bob being unreachable does not touch it.
    expect(await h.set.use('alice')).toBe('signed-in');
    expect(await h.set.active!.session.getAccessToken()).toMatch(/^at-alice-/);
    expect(h.set.state).toBe('signed-in');
    expect(states).toEqual(['offline', 'signed-in']);
    expect(h.set.list().map((a) => a.state)).toEqual(['signed-in', 'offline']);
    // Bob's session was kept (never deleted for being offline).
    expect(await refreshTokenIn(h.vault, 'bob')).toBe('rt-bob-2');
  });
});

describe('account set: the signing-in overlay', () => {
  it('is signing-in during an interactive sign-in, whatever the active session does meanwhile', async () => {
    const h = makeSet();
    await signIn(h, 'alice');
    h.set.beginSignIn();
    expect(h.set.state).toBe('signing-in');
    h.provider.offline.add('alice');
    h.clock.now += 600_000;
    await expect(h.set.active!.session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_OFFLINE' });
    expect(h.set.state).toBe('signing-in');
    expect(h.set.list()[0]?.state).toBe('offline');
  });

  it('endSignInWithoutSession reflects the active session now: signed-in after a background renewal during the sign-in', async () => {
    const h = makeSet({ retrySchedule: [5] });
    await signIn(h, 'alice');
    h.provider.offline.add('alice');
    h.clock.now += 600_000;
    await expect(h.set.active!.session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_OFFLINE' });
    expect(h.set.state).toBe('offline');
    h.set.beginSignIn();
    const renewed = new Promise<void>((resolve) => {
      const off = h.set.active!.session.onStateChange((s) => {
        if (s === 'signed-in') {
          off();
          resolve();
        }
      });
    });
    h.provider.offline.delete('alice');
    await renewed;
    h.set.endSignInWithoutSession();
    expect(h.set.state).toBe('signed-in');
  });

  it('endSignInWithoutSession reflects the active session now: offline while renewals are being retried', async () => {
    const h = makeSet({ retrySchedule: [60_000] });
    await signIn(h, 'alice');
    h.set.beginSignIn();
    h.provider.offline.add('alice');
    h.clock.now += 600_000;
    await expect(h.set.active!.session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_OFFLINE' });
    h.set.endSignInWithoutSession();
    expect(h.set.state).toBe('offline');
  });

  it('endSignInWithoutSession reflects the active session now: signed-out without an account', async () => {
    const h = makeSet();
    await signIn(h, 'alice');
    h.set.beginSignIn();
    await h.set.end();
    h.set.beginSignIn();
    const states: SessionState[] = [];
    h.set.onStateChange((s) => states.push(s));
    h.set.endSignInWithoutSession();
    expect(h.set.state).toBe('signed-out');
    expect(states).toEqual(['signed-out']);
  });

  it('a sign-in that ends without a session restores the account that became active during it', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    const again = makeSet({ vault: h.vault, provider: h.provider, clock: h.clock });
    await again.set.restore();
    again.set.beginSignIn();
    // Bob's session ends during the sign-in; alice, never restored in this process, becomes active.
    h.provider.revoke('bob');
    h.clock.now += 600_000;
    await expect(again.set.active!.session.getAccessToken()).rejects.toMatchObject({
      code: 'ERR_SESSION_EXPIRED',
    });
    expect(again.set.active?.record.sub).toBe('alice');
    again.set.endSignInWithoutSession();
    await expect.poll(() => again.set.state).toBe('signed-in');
    expect(await again.set.active!.session.getAccessToken()).toMatch(/^at-alice-/);
  });

  it('a sign-in that fails before any restore leaves the stored accounts alone: signed-out, no refresh', async () => {
    const h = makeSet();
    await signIn(h, 'alice');
    const again = makeSet({ vault: h.vault, provider: h.provider });
    const presented = h.provider.presented.length;
    again.set.beginSignIn();
    await again.set.load();
    again.set.endSignInWithoutSession();
    expect(again.set.state).toBe('signed-out');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(h.provider.presented.length).toBe(presented);
    expect(again.set.state).toBe('signed-out');
  });

  it('a sign-in that installs a session ends the overlay', async () => {
    const h = makeSet();
    const states: SessionState[] = [];
    h.set.onStateChange((s) => states.push(s));
    await signIn(h, 'alice');
    expect(states).toEqual(['signing-in', 'signed-in']);
  });
});

describe('account set: one account’s session ending', () => {
  it('invalid_grant on a non-active account ends that one only; the active one stays and refreshes', async () => {
    const h = makeSet();
    await signIn(h, 'bob', 'alice');
    h.provider.revoke('bob');
    h.clock.now += 600_000;
    const bob = h.set.find('bob');
    await expect(bob.session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
    await expect.poll(() => h.set.list().map((a) => a.id)).toEqual([id('alice')]);
    expect(await refreshTokenIn(h.vault, 'bob')).toBeUndefined();
    expect(h.set.active?.record.sub).toBe('alice');
    expect(h.set.state).toBe('signed-in');
    expect(await h.set.active!.session.getAccessToken()).toMatch(/^at-alice-/);
    expect(await storedIndex(h.vault)).toMatchObject({
      accounts: [{ id: id('alice') }],
      active: id('alice'),
    });
    expect(() => h.set.find('bob')).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_ACCOUNT' }));
  });

  it('invalid_grant on the active account ends it; the other becomes active, stored so', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    h.provider.revoke('bob');
    h.clock.now += 600_000;
    await expect(h.set.active!.session.getAccessToken()).rejects.toMatchObject({
      code: 'ERR_SESSION_EXPIRED',
    });
    expect(h.set.active?.record.sub).toBe('alice');
    expect(h.set.list()).toEqual([expect.objectContaining({ id: id('alice'), active: true })]);
    expect(await h.set.active!.session.getAccessToken()).toMatch(/^at-alice-/);
    expect(h.set.state).toBe('signed-in');
    expect((await storedIndex(h.vault)).active).toBe(id('alice'));
    expect(await refreshTokenIn(h.vault, 'alice')).toMatch(/^rt-alice-/);
  });

  it('at launch, a dead active account is removed and restore() resolves with the next one restored', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    h.provider.revoke('bob');
    const again = makeSet({ vault: h.vault, provider: h.provider });
    expect(await again.set.restore()).toBe('signed-in');
    expect(again.set.active?.record.sub).toBe('alice');
    expect(again.set.list().map((a) => a.id)).toEqual([id('alice')]);
    expect(await again.set.active!.session.getAccessToken()).toMatch(/^at-alice-/);
  });

  it('ending an account that was never restored here still hands back its stored refresh token (for revocation)', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    const again = makeSet({ vault: h.vault, provider: h.provider });
    await again.set.use('alice');
    const ended = await again.set.end('bob');
    expect(ended).toMatchObject({ sub: 'bob', refreshToken: 'rt-bob-2' });
    expect(await refreshTokenIn(h.vault, 'bob')).toBeUndefined();
    expect(again.set.list().map((a) => a.id)).toEqual([id('alice')]);
  });

  it('use() of an account the provider ended: signed-out, gone from the list, the other one active', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    h.provider.revoke('bob');
    const again = makeSet({ vault: h.vault, provider: h.provider });
    await again.set.use('alice');
    expect(await again.set.use('bob')).toBe('signed-out');
    expect(again.set.list()).toEqual([expect.objectContaining({ id: id('alice'), active: true })]);
    await expect.poll(() => again.set.state).toBe('signed-in');
    expect((await storedIndex(h.vault)).active).toBe(id('alice'));
  });

  it('the active account ending hands over without a passing signed-out: the states go straight to the next one’s', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    const again = makeSet({ vault: h.vault, provider: h.provider });
    await again.set.restore();
    const states: SessionState[] = [];
    again.set.onStateChange((state) => states.push(state));
    h.provider.revoke('bob');
    again.clock.now += 600_000;
    await expect(again.set.active!.session.getAccessToken()).rejects.toMatchObject({
      code: 'ERR_SESSION_EXPIRED',
    });
    await expect.poll(() => again.set.state).toBe('signed-in');
    expect(again.set.active?.record.sub).toBe('alice');
    expect(states).toEqual(['signing-in', 'signed-in']);
  });

  it('lists an account not renewed in this process as signed-in, and as signed-out once its stored session proves unusable', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    await h.vault.entry!(id('alice')).write('{"not":"a session"}');
    const again = makeSet({ vault: h.vault, provider: h.provider });
    await again.set.restore();
    expect(again.set.list().map((a) => [a.email, a.active, a.state])).toEqual([
      ['Alice@Example.com', false, 'signed-in'],
      ['bob@example.com', true, 'signed-in'],
    ]);
    expect(await again.set.use('alice')).toBe('signed-out');
    expect(again.set.list().map((a) => [a.email, a.state])).toEqual([
      ['Alice@Example.com', 'signed-out'],
      ['bob@example.com', 'signed-in'],
    ]);
  });

  it('end() of the active account makes the next one active and restores it', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    const again = makeSet({ vault: h.vault, provider: h.provider });
    await again.set.restore();
    expect(again.set.active?.record.sub).toBe('bob');
    await again.set.end();
    await expect.poll(() => again.set.state).toBe('signed-in');
    expect(again.set.active?.record.sub).toBe('alice');
    expect((await storedIndex(h.vault)).active).toBe(id('alice'));
  });
});

describe('account set: one account only', () => {
  it('single mode: a sign-in as someone else replaces the account (its entry cleared)', async () => {
    const h = makeSet({ mode: 'single' });
    await signIn(h, 'alice', 'bob');
    expect(h.set.list().map((a) => a.id)).toEqual([id('bob')]);
    expect(await refreshTokenIn(h.vault, 'alice')).toBeUndefined();
    expect(await storedIndex(h.vault)).toMatchObject({ accounts: [{ id: id('bob') }], active: id('bob') });
  });

  it('a vault without entries keeps one account, in its own value, whatever the mode', async () => {
    const vault = new RecordingVault();
    const h = makeSet({ vault, mode: 'multiple' });
    await signIn(h, 'alice', 'bob');
    expect(h.set.list().map((a) => a.id)).toEqual([id('bob')]);
    expect(JSON.parse(vault.value!)).toMatchObject({ sub: 'bob', refresh_token: 'rt-bob-2' });
    const again = makeSet({ vault, provider: h.provider });
    expect(await again.set.restore()).toBe('signed-in');
    expect(again.set.active?.record.sub).toBe('bob');
  });
});

describe('account set: naming an account', () => {
  it('finds an account by id, email in any case, or subject', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    expect(h.set.find(id('alice')).record.sub).toBe('alice');
    expect(h.set.find('alice@example.COM').record.sub).toBe('alice');
    expect(h.set.find('bob').record.sub).toBe('bob');
  });

  it('an unknown or ambiguous name is ERR_UNKNOWN_ACCOUNT, and changes nothing', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    expect(() => h.set.find('carol')).toThrow(
      expect.objectContaining({
        code: 'ERR_UNKNOWN_ACCOUNT',
        message: expect.stringMatching(/^No signed-in/),
      }),
    );
    // Bob's email is alice's subject: two accounts match.
    await h.set.remember(h.set.find('bob'), { sub: 'bob', email: 'ALICE' });
    expect(() => h.set.find('alice')).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_ACCOUNT', message: expect.stringMatching(/^Several/) }),
    );
    await expect(h.set.use('carol')).rejects.toMatchObject({ code: 'ERR_UNKNOWN_ACCOUNT' });
    await expect(h.set.end('carol')).rejects.toMatchObject({ code: 'ERR_UNKNOWN_ACCOUNT' });
    expect(h.set.active?.record.sub).toBe('bob');
    expect(h.set.size).toBe(2);
  });

  it('remember() keeps the profile’s display hints in the index, and writes only when they change', async () => {
    const h = makeSet();
    await signIn(h, 'alice');
    const account = h.set.active!;
    await h.set.remember(account, { sub: 'alice', name: 'Alice', email: 'a@example.com' });
    expect((await storedIndex(h.vault)).accounts[0]).toMatchObject({ name: 'Alice', email: 'a@example.com' });
    const before = await h.vault.read();
    let writes = 0;
    const write = h.vault.write.bind(h.vault);
    h.vault.write = async (value) => {
      writes++;
      return write(value);
    };
    await h.set.remember(account, { sub: 'alice', name: 'Alice', email: 'a@example.com' });
    expect(writes).toBe(0);
    expect(await h.vault.read()).toBe(before);
  });
});

describe('account set: restoring', () => {
  it('concurrent use() of one account presents its refresh token once', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    const again = makeSet({ vault: h.vault, provider: h.provider });
    await again.set.restore();
    h.provider.presented.length = 0;
    const states = await Promise.all([
      again.set.use('alice'),
      again.set.use('alice'),
      again.set.use(id('alice')),
    ]);
    expect(states).toEqual(['signed-in', 'signed-in', 'signed-in']);
    expect(h.provider.presented).toEqual(['rt-alice-1']);
  });

  it('restore({ account }) uses that account for this process only: the stored active is unchanged', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    await h.set.use('alice');
    const again = makeSet({ vault: h.vault, provider: h.provider });
    expect(await again.set.restore({ account: 'bob@example.com' })).toBe('signed-in');
    expect(again.set.active?.record.sub).toBe('bob');
    expect((await storedIndex(h.vault)).active).toBe(id('alice'));
    const third = makeSet({ vault: h.vault, provider: h.provider });
    await third.set.restore();
    expect(third.set.active?.record.sub).toBe('alice');
  });

  it('another account ending does not store this process’s own choice of active account', async () => {
    const h = makeSet();
    await signIn(h, 'carol', 'bob', 'alice');
    // Stored active: alice; this process works as bob.
    const again = makeSet({ vault: h.vault, provider: h.provider });
    await again.set.restore({ account: 'bob' });
    await again.set.end('carol');
    expect(again.set.active?.record.sub).toBe('bob');
    expect((await storedIndex(h.vault)).active).toBe(id('alice'));
  });

  it('restore({ account }) of an account the provider ended resolves signed-out, never the state of the one that took over', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob');
    h.provider.revoke('alice');
    const again = makeSet({ vault: h.vault, provider: h.provider });
    expect(await again.set.restore({ account: 'alice@example.com' })).toBe('signed-out');
    expect(again.set.list().map((a) => a.id)).toEqual([id('bob')]);
  });

  it('restore({ account }) naming no account rejects with ERR_UNKNOWN_ACCOUNT', async () => {
    const h = makeSet();
    await signIn(h, 'alice');
    const again = makeSet({ vault: h.vault, provider: h.provider });
    await expect(again.set.restore({ account: 'nobody' })).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_ACCOUNT',
    });
  });

  it('an unreadable vault: a warning, no accounts, and the next load tries again', async () => {
    const vault = new MemoryVault();
    const h0 = makeSet({ vault });
    await signIn(h0, 'alice');
    const read = vault.read.bind(vault);
    vault.read = async () => {
      throw new AuthError('ERR_VAULT_UNAVAILABLE', 'the keychain is locked');
    };
    const h = makeSet({ vault, provider: h0.provider });
    expect(await h.set.restore()).toBe('signed-out');
    expect(h.logger.lines).toContainEqual(expect.stringMatching(/^warn Could not read the stored accounts/));
    vault.read = read;
    expect(await h.set.restore()).toBe('signed-in');
    expect(h.set.active?.record.sub).toBe('alice');
  });

  it('a listener that throws is logged, and the others still hear', async () => {
    const h = makeSet();
    h.set.onAccountsChange(() => {
      throw new Error('boom');
    });
    const heard: SessionState[] = [];
    h.set.onStateChange((s) => heard.push(s));
    await signIn(h, 'alice');
    expect(heard).toEqual(['signing-in', 'signed-in']);
    expect(h.logger.lines).toContainEqual('error An account listener threw: boom');
  });
});

describe('account set: ids for signing out of all', () => {
  it('lists every account, the active one last (its provider session is ended last)', async () => {
    const h = makeSet();
    await signIn(h, 'alice', 'bob', 'carol');
    await h.set.use('bob');
    expect(h.set.ids()).toEqual([id('alice'), id('carol'), id('bob')]);
    await nextStateIfNeeded(h.set);
  });
});

/** Lets pending background restores settle before the set is disposed. */
async function nextStateIfNeeded(set: AccountSet): Promise<void> {
  if (set.state === 'signing-in') await nextState(set, 'signed-in');
}
