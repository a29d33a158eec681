import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError } from '../../../src/core/errors.ts';
import type { Logger } from '../../../src/core/logger.ts';
import type { DPoPMode } from '../../../src/core/config.ts';
import { DPoPKey } from '../../../src/core/dpop/key.ts';
import { encodeStoredSession } from '../../../src/core/session/stored-session.ts';
import { TokenSession } from '../../../src/core/session/token-session.ts';
import type { SessionState, TokenGrant, VaultEntryBinding } from '../../../src/core/session/token-session.ts';
import { RecordingVault } from './recording-vault.ts';
import { memoryLogger } from '../../support/memory-logger.ts';

const IDENTITY = { issuer: 'https://idp.example.com/', clientId: 'desktop-app' };

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const unreachable = () => new AuthError('ERR_PROVIDER_UNREACHABLE', 'cannot reach');
const invalidGrant = () => new AuthError('ERR_SESSION_EXPIRED', 'ended', { oauthError: 'invalid_grant' });

let sessions: TokenSession[] = [];
afterEach(() => {
  for (const s of sessions) s.dispose();
  sessions = [];
});

function makeSession(options: {
  vault?: RecordingVault;
  refresh: (rt: string, dpopKey?: DPoPKey) => Promise<TokenGrant>;
  now?: () => number;
  retrySchedule?: number[];
  logger?: Logger;
  binding?: VaultEntryBinding;
  dpop?: DPoPMode;
}) {
  const session = new TokenSession({
    vault: options.vault ?? new RecordingVault(),
    identity: IDENTITY,
    refresh: options.refresh,
    logger: options.logger ?? memoryLogger(),
    refreshAheadMs: 60_000,
    now: options.now,
    retrySchedule: options.retrySchedule ?? [0],
    binding: options.binding,
    dpop: options.dpop,
  });
  sessions.push(session);
  return session;
}

const signInGrant: TokenGrant = {
  accessToken: 'at-0',
  expiresInSeconds: 600,
  refreshToken: 'rt-0',
  idToken: 'id-0',
  claims: { sub: 'alice', name: 'Alice' },
};

function nextState(session: TokenSession, wanted: SessionState): Promise<void> {
  return new Promise((resolve) => {
    const off = session.onStateChange((s) => {
      if (s === wanted) {
        off();
        resolve();
      }
    });
  });
}

describe('token session', () => {
  it('stores the refresh token before the session becomes signed-in', async () => {
    const log: string[] = [];
    const vault = new RecordingVault(log);
    const session = makeSession({ vault, refresh: vi.fn() });
    session.onStateChange((s) => log.push(`state ${s}`));
    await session.establish(signInGrant);
    expect(log).toEqual(['vault.write rt-0', 'state signed-in']);
    expect(await session.getAccessToken()).toBe('at-0');
  });

  it('N concurrent callers at expiry cause exactly one refresh request', async () => {
    let now = 1_000_000;
    const gate = deferred<TokenGrant>();
    const refresh = vi.fn(() => gate.promise);
    const session = makeSession({ refresh, now: () => now });
    await session.establish(signInGrant);
    now += 600_000; // expired
    const callers = Array.from({ length: 50 }, () => session.getAccessToken());
    gate.resolve({
      accessToken: 'at-1',
      expiresInSeconds: 600,
      refreshToken: 'rt-1',
      claims: { sub: 'alice' },
    });
    expect(new Set(await Promise.all(callers))).toEqual(new Set(['at-1']));
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(refresh).toHaveBeenCalledWith('rt-0', undefined);
  });

  it('refreshes ahead of expiry, inside the margin', async () => {
    let now = 0;
    const refresh = vi.fn(async () => ({ accessToken: 'at-1', expiresInSeconds: 600 }));
    const session = makeSession({ refresh, now: () => now });
    await session.establish(signInGrant);
    now = 600_000 - 60_001;
    expect(await session.getAccessToken()).toBe('at-0');
    now = 600_000 - 59_999;
    expect(await session.getAccessToken()).toBe('at-1');
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('a rotated refresh token is written to the vault before the new access token is handed out', async () => {
    let now = 0;
    const log: string[] = [];
    const vault = new RecordingVault(log);
    const session = makeSession({
      vault,
      now: () => now,
      refresh: async () => ({ accessToken: 'at-1', expiresInSeconds: 600, refreshToken: 'rt-1' }),
    });
    await session.establish(signInGrant);
    now = 600_000;
    const token = session.getAccessToken().then((t) => {
      log.push(`handed ${t}`);
      return t;
    });
    await token;
    expect(log).toEqual(['vault.write rt-0', 'vault.write rt-1', 'handed at-1']);
    expect(JSON.parse(vault.value!).refresh_token).toBe('rt-1');
  });

  it('keeps the old refresh token when the provider returns none', async () => {
    let now = 0;
    const refresh = vi.fn(async () => ({ accessToken: 'at-1', expiresInSeconds: 1 }));
    const vault = new RecordingVault();
    const session = makeSession({ vault, now: () => now, refresh });
    await session.establish(signInGrant);
    now = 600_000;
    await session.getAccessToken();
    now += 1_000;
    await session.getAccessToken();
    expect(refresh.mock.calls).toEqual([
      ['rt-0', undefined],
      ['rt-0', undefined],
    ]);
    expect(JSON.parse(vault.value!).refresh_token).toBe('rt-0');
  });

  it('a refreshed ID token naming another sub signs out with ERR_SUBJECT_CHANGED', async () => {
    let now = 0;
    const vault = new RecordingVault();
    const session = makeSession({
      vault,
      now: () => now,
      refresh: async () => ({ accessToken: 'at-1', refreshToken: 'rt-1', claims: { sub: 'mallory' } }),
    });
    await session.establish(signInGrant);
    now = 600_000;
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_SUBJECT_CHANGED' });
    expect(session.state).toBe('signed-out');
    expect(vault.value).toBeUndefined();
  });

  it('a network failure keeps the session, reports offline, and recovers by itself', async () => {
    let now = 0;
    let providerUp = false;
    const refresh = vi.fn(async () => {
      if (!providerUp) throw unreachable();
      return { accessToken: 'at-1', expiresInSeconds: 600 };
    });
    const vault = new RecordingVault();
    const session = makeSession({ vault, now: () => now, refresh, retrySchedule: [5] });
    await session.establish(signInGrant);
    now = 600_000;
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_OFFLINE' });
    expect(session.state).toBe('offline');
    expect(JSON.parse(vault.value!).refresh_token).toBe('rt-0');
    providerUp = true;
    await nextState(session, 'signed-in');
    expect(await session.getAccessToken()).toBe('at-1');
  });

  it('offline inside the refresh-ahead margin still hands out the unexpired token', async () => {
    let now = 0;
    const session = makeSession({ now: () => now, refresh: async () => Promise.reject(unreachable()) });
    await session.establish(signInGrant);
    now = 600_000 - 30_000;
    expect(await session.getAccessToken()).toBe('at-0');
    expect(session.state).toBe('offline');
  });

  it('invalid_grant signs out cleanly: vault cleared, state signed-out, ERR_SESSION_EXPIRED', async () => {
    let now = 0;
    const vault = new RecordingVault();
    const session = makeSession({
      vault,
      now: () => now,
      refresh: async () => Promise.reject(invalidGrant()),
    });
    await session.establish(signInGrant);
    now = 600_000;
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
    expect(session.state).toBe('signed-out');
    expect(vault.value).toBeUndefined();
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
  });

  it('restore signs in silently with one refresh of the stored token', async () => {
    const vault = new RecordingVault(
      [],
      encodeStoredSession({ ...IDENTITY, sub: 'alice', refreshToken: 'rt-stored' }),
    );
    const refresh = vi.fn(async () => ({
      accessToken: 'at-1',
      expiresInSeconds: 600,
      refreshToken: 'rt-2',
      claims: { sub: 'alice' },
    }));
    const session = makeSession({ vault, refresh });
    expect(await session.restore()).toBe('signed-in');
    expect(refresh).toHaveBeenCalledExactlyOnceWith('rt-stored', undefined);
    expect(await session.getAccessToken()).toBe('at-1');
    expect(JSON.parse(vault.value!).refresh_token).toBe('rt-2');
  });

  it('restore while offline means the offline state with the vault entry intact', async () => {
    const raw = encodeStoredSession({ ...IDENTITY, sub: 'alice', refreshToken: 'rt-stored' });
    const vault = new RecordingVault([], raw);
    const session = makeSession({
      vault,
      refresh: async () => Promise.reject(unreachable()),
      retrySchedule: [60_000],
    });
    expect(await session.restore()).toBe('offline');
    expect(vault.value).toBe(raw);
    expect(session.subject).toBe('alice');
  });

  it('restore with an ended session (invalid_grant) signs out and clears the vault', async () => {
    const vault = new RecordingVault(
      [],
      encodeStoredSession({ ...IDENTITY, sub: 'alice', refreshToken: 'rt-dead' }),
    );
    const session = makeSession({ vault, refresh: async () => Promise.reject(invalidGrant()) });
    expect(await session.restore()).toBe('signed-out');
    expect(vault.value).toBeUndefined();
  });

  it.each([
    ['corrupt', '{"v":1,'],
    [
      'foreign',
      encodeStoredSession({
        issuer: 'https://other.example/',
        clientId: 'desktop-app',
        sub: 'a',
        refreshToken: 'rt',
      }),
    ],
  ])(
    'restore with a %s entry means signed out with a log line, no refresh, no crash',
    async (problem, raw) => {
      const logger = memoryLogger();
      const refresh = vi.fn();
      const session = makeSession({ vault: new RecordingVault([], raw), refresh, logger });
      expect(await session.restore()).toBe('signed-out');
      expect(refresh).not.toHaveBeenCalled();
      expect(logger.lines.some((l) => l.startsWith('warn') && l.includes(problem))).toBe(true);
    },
  );

  it('restore with an unreadable vault means signed out with a log line', async () => {
    const vault = new RecordingVault();
    vault.failReads = true;
    const logger = memoryLogger();
    const session = makeSession({ vault, refresh: vi.fn(), logger });
    expect(await session.restore()).toBe('signed-out');
    expect(logger.lines.some((l) => l.startsWith('warn'))).toBe(true);
  });

  it('a sign-out during a refresh wins: the late result is dropped and nothing is written back', async () => {
    let now = 0;
    const gate = deferred<TokenGrant>();
    const vault = new RecordingVault();
    const session = makeSession({ vault, now: () => now, refresh: () => gate.promise });
    await session.establish(signInGrant);
    now = 600_000;
    const pending = session.getAccessToken();
    const ended = await session.end();
    expect(ended).toEqual({ sub: 'alice', refreshToken: 'rt-0', idToken: 'id-0' });
    gate.resolve({ accessToken: 'at-1', refreshToken: 'rt-1' });
    await expect(pending).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    expect(vault.value).toBeUndefined();
    expect(session.state).toBe('signed-out');
  });

  it('a token the API rejected is refreshed once however many callers report it', async () => {
    let n = 0;
    const refresh = vi.fn(async () => ({ accessToken: `at-${++n}`, expiresInSeconds: 600 }));
    const session = makeSession({ refresh });
    await session.establish(signInGrant);
    const first = await Promise.all([
      session.getAccessToken({ rejected: 'at-0' }),
      session.getAccessToken({ rejected: 'at-0' }),
    ]);
    const late = await session.getAccessToken({ rejected: 'at-0' });
    expect(first).toEqual(['at-1', 'at-1']);
    expect(late).toBe('at-1');
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('unsubscribing stops state notifications', async () => {
    const session = makeSession({ refresh: vi.fn() });
    const seen: SessionState[] = [];
    const off = session.onStateChange((s) => seen.push(s));
    await session.establish(signInGrant);
    off();
    await session.end();
    expect(seen).toEqual(['signed-in']);
  });
});

describe('token session: single-flight across session replacement', () => {
  const secondGrant: TokenGrant = {
    accessToken: 'at-A',
    expiresInSeconds: 600,
    refreshToken: 'rt-A',
    idToken: 'id-A',
    claims: { sub: 'alice' },
  };

  it("single-flight is per session: a new session does not join the replaced session's refresh", async () => {
    let now = 0;
    const gates = new Map<string, ReturnType<typeof deferred<TokenGrant>>>();
    const refresh = vi.fn((rt: string) => {
      const gate = deferred<TokenGrant>();
      gates.set(rt, gate);
      return gate.promise;
    });
    const session = makeSession({ refresh, now: () => now });
    await session.establish(signInGrant);
    now = 600_000;
    const stale = session.getAccessToken();
    stale.catch(() => {});
    await session.establish(secondGrant);
    const fresh = session.getAccessToken({ rejected: 'at-A' });
    expect(refresh).toHaveBeenLastCalledWith('rt-A', undefined);
    gates.get('rt-0')!.resolve({ accessToken: 'at-1', refreshToken: 'rt-1', claims: { sub: 'alice' } });
    gates.get('rt-A')?.resolve({ accessToken: 'at-B', expiresInSeconds: 600, refreshToken: 'rt-B' });
    await expect(stale).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    expect(await fresh).toBe('at-B');
    expect(session.state).toBe('signed-in');
  });

  it('single-flight survives a stale refresh settling: the same refresh token is never sent twice at once', async () => {
    let now = 0;
    const gates: { rt: string; gate: ReturnType<typeof deferred<TokenGrant>> }[] = [];
    const refresh = vi.fn((rt: string) => {
      const gate = deferred<TokenGrant>();
      gates.push({ rt, gate });
      return gate.promise;
    });
    const session = makeSession({ refresh, now: () => now });
    await session.establish(signInGrant);
    now = 600_000;
    const stale = session.getAccessToken();
    stale.catch(() => {});
    await session.end();
    now = 0;
    await session.establish(secondGrant);
    const first = session.getAccessToken({ rejected: 'at-A' });
    // The replaced session's refresh settles while the new one is still in flight.
    gates[0]!.gate.resolve({ accessToken: 'at-1', refreshToken: 'rt-1', claims: { sub: 'alice' } });
    await expect(stale).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    const second = session.getAccessToken({ rejected: 'at-A' });
    expect(refresh.mock.calls.filter(([rt]) => rt === 'rt-A')).toHaveLength(1);
    for (const { rt, gate } of gates.slice(1)) {
      if (rt === 'rt-A') gate.resolve({ accessToken: 'at-B', expiresInSeconds: 600, refreshToken: 'rt-B' });
    }
    expect(await Promise.all([first, second])).toEqual(['at-B', 'at-B']);
  });
});

describe('token session: end() of a session never restored here', () => {
  it('hands back the stored refresh token (so sign-out can revoke it) and clears the entry', async () => {
    const vault = new RecordingVault(
      [],
      encodeStoredSession({ ...IDENTITY, sub: 'bob', refreshToken: 'rt-stored' }),
    );
    const refresh = vi.fn();
    const session = makeSession({ vault, refresh });
    expect(await session.end()).toEqual({ sub: 'bob', refreshToken: 'rt-stored', idToken: undefined });
    expect(vault.value).toBeUndefined();
    expect(refresh).not.toHaveBeenCalled();
    expect(await session.end()).toBeUndefined();
  });

  it('hands back nothing of an entry of another client, or an unreadable vault, and still clears it', async () => {
    const vault = new RecordingVault(
      [],
      encodeStoredSession({ ...IDENTITY, clientId: 'other', sub: 'bob', refreshToken: 'rt-foreign' }),
    );
    expect(await makeSession({ vault, refresh: vi.fn() }).end()).toBeUndefined();
    expect(vault.value).toBeUndefined();
    const unreadable = new RecordingVault([], 'x');
    unreadable.failReads = true;
    expect(await makeSession({ vault: unreadable, refresh: vi.fn() }).end()).toBeUndefined();
    expect(unreadable.log).toEqual(['vault.clear']);
  });
});

/** A vault whose writes fail from now on (e.g. the keychain was locked). */
function refuseWrites(vault: RecordingVault): void {
  vault.write = async () => {
    throw new Error('keychain locked');
  };
}

/**
 * A signed-in session (refresh token rt-0 stored) whose provider rotates the
 * refresh token (rt-1); `expire()` moves the clock past the access token's expiry.
 */
async function rotatingSession(vault = new RecordingVault(), logger = memoryLogger()) {
  let now = 0;
  const session = makeSession({
    vault,
    logger,
    now: () => now,
    refresh: async () => ({ accessToken: 'at-1', expiresInSeconds: 600, refreshToken: 'rt-1' }),
  });
  await session.establish(signInGrant);
  return { session, vault, logger, expire: () => void (now = 600_000) };
}

describe('token session: a rotated refresh token the vault cannot store', () => {
  it('a failed vault write of a rotated refresh token clears the outdated entry', async () => {
    const { session, vault, expire } = await rotatingSession();
    expect(JSON.parse(vault.value!).refresh_token).toBe('rt-0');
    refuseWrites(vault);
    expire();
    expect(await session.getAccessToken()).toBe('at-1');
    expect(vault.value).toBeUndefined();
    expect(session.state).toBe('signed-in');
  });

  it('a failed vault write whose clear fails too is logged and the session goes on in memory', async () => {
    const { session, vault, logger, expire } = await rotatingSession();
    refuseWrites(vault);
    vault.clear = async () => {
      throw new Error('keychain gone');
    };
    expire();
    expect(await session.getAccessToken()).toBe('at-1');
    expect(logger.lines.some((l) => l.startsWith('error') && l.includes('keychain gone'))).toBe(true);
  });

  describe('the opaque binding kept with the refresh token (the provider cache digest)', () => {
    /** Stands in for the provider connection: records what it was handed, reports its current value. */
    function binding(current: string | undefined): VaultEntryBinding & { restoredValues: unknown[] } {
      const restoredValues: unknown[] = [];
      return { restoredValues, current, restored: (value) => void restoredValues.push(value) };
    }
    const stored = (value?: string) =>
      encodeStoredSession({
        ...IDENTITY,
        sub: 'alice',
        refreshToken: 'rt-stored',
        binding: value,
      });
    const sameToken = async () => ({ accessToken: 'at-1', expiresInSeconds: 600, claims: { sub: 'alice' } });

    it('restore hands the stored value to its owner before refreshing', async () => {
      const order: string[] = [];
      const session = makeSession({
        vault: new RecordingVault([], stored('d-1')),
        binding: { current: 'd-1', restored: (value) => void order.push(`restored ${value}`) },
        refresh: async (rt) => {
          order.push(`refresh ${rt}`);
          return sameToken();
        },
      });
      expect(await session.restore()).toBe('signed-in');
      expect(order).toEqual(['restored d-1', 'refresh rt-stored']);
    });

    it('sign-in stores the current value beside the refresh token', async () => {
      const vault = new RecordingVault();
      const session = makeSession({ vault, binding: binding('d-new'), refresh: sameToken });
      await session.establish(signInGrant);
      expect(JSON.parse(vault.value!)).toMatchObject({
        refresh_token: 'rt-0',
        provider_cache_sha256: 'd-new',
      });
    });

    it('without rotation, a changed value still gets into the vault', async () => {
      const log: string[] = [];
      const vault = new RecordingVault(log, stored('d-old'));
      const session = makeSession({ vault, binding: binding('d-new'), refresh: sameToken });
      expect(await session.restore()).toBe('signed-in');
      expect(JSON.parse(vault.value!)).toMatchObject({
        refresh_token: 'rt-stored',
        provider_cache_sha256: 'd-new',
      });
      expect(log).toEqual(['vault.write rt-stored']);
    });

    it('without rotation and with the same value, the vault is not written', async () => {
      const log: string[] = [];
      const session = makeSession({
        vault: new RecordingVault(log, stored('d-1')),
        binding: binding('d-1'),
        refresh: sameToken,
      });
      expect(await session.restore()).toBe('signed-in');
      expect(log).toEqual([]);
    });

    it('a failed write of only a new value keeps the still-valid entry (no clear)', async () => {
      const log: string[] = [];
      const vault = new RecordingVault(log, stored('d-old'));
      refuseWrites(vault);
      const logger = memoryLogger();
      const session = makeSession({ vault, logger, binding: binding('d-new'), refresh: sameToken });
      expect(await session.restore()).toBe('signed-in');
      expect(log).toEqual([]);
      expect(JSON.parse(vault.value!)).toMatchObject({
        refresh_token: 'rt-stored',
        provider_cache_sha256: 'd-old',
      });
      expect(logger.lines.some((l) => l.startsWith('info') && l.includes('keychain locked'))).toBe(true);
    });
  });
});

describe('token session: whether the vault holds the session (sessionPersisted)', () => {
  it('a restored session is persisted; undefined once it ends', async () => {
    const vault = new RecordingVault(
      [],
      encodeStoredSession({ ...IDENTITY, sub: 'alice', refreshToken: 'rt-stored' }),
    );
    const session = makeSession({
      vault,
      refresh: async () => ({ accessToken: 'at-1', expiresInSeconds: 600 }),
    });
    expect(session.sessionPersisted).toBeUndefined();
    expect(await session.restore()).toBe('signed-in');
    expect(session.sessionPersisted).toBe(true);
    await session.end();
    expect(session.sessionPersisted).toBeUndefined();
  });

  it('a rotated refresh token the vault refused: false, the session goes on in memory', async () => {
    const { session, vault, expire } = await rotatingSession();
    expect(session.sessionPersisted).toBe(true);
    refuseWrites(vault);
    expire();
    expect(await session.getAccessToken()).toBe('at-1');
    expect(session.sessionPersisted).toBe(false);
  });

  it('a refused write of only a new binding value leaves the still-valid entry: still true', async () => {
    const vault = new RecordingVault(
      [],
      encodeStoredSession({ ...IDENTITY, sub: 'alice', refreshToken: 'rt-stored', binding: 'd-old' }),
    );
    refuseWrites(vault);
    const session = makeSession({
      vault,
      binding: { current: 'd-new', restored: () => {} },
      refresh: async () => ({ accessToken: 'at-1', expiresInSeconds: 600 }),
    });
    expect(await session.restore()).toBe('signed-in');
    expect(session.sessionPersisted).toBe(true);
  });

  it('a sign-in whose refresh token the vault refused: false', async () => {
    const vault = new RecordingVault();
    refuseWrites(vault);
    const session = makeSession({ vault, refresh: vi.fn() });
    await session.establish(signInGrant);
    expect(session.state).toBe('signed-in');
    expect(session.sessionPersisted).toBe(false);
  });
});

describe('token session: the DPoP key in the vault entry (RFC 9449)', () => {
  const stored = async (dpop: boolean) => {
    const key = dpop ? await DPoPKey.generate('ES256') : undefined;
    const raw = encodeStoredSession({
      ...IDENTITY,
      sub: 'alice',
      refreshToken: 'rt-stored',
      dpop: key?.stored,
    });
    return { key, vault: new RecordingVault([], raw) };
  };
  const grant = async () => ({ accessToken: 'at-1', expiresInSeconds: 600, dpopBound: true });

  it('restore refreshes with the stored key, and hands it out with the bound access token', async () => {
    const { key, vault } = await stored(true);
    const keys: Array<DPoPKey | undefined> = [];
    const session = makeSession({
      vault,
      refresh: async (_rt, dpopKey) => {
        keys.push(dpopKey);
        return grant();
      },
    });
    expect(await session.restore()).toBe('signed-in');
    expect(keys.map((k) => k?.thumbprint)).toEqual([key!.thumbprint]);
    const credential = await session.getAccessCredential();
    expect(credential.accessToken).toBe('at-1');
    expect(credential.dpopKey?.thumbprint).toBe(key!.thumbprint);
  });

  it('an unbound access token (a Bearer answer, RFC 9449 §5) is handed out without the key', async () => {
    const { vault } = await stored(true);
    const session = makeSession({
      vault,
      refresh: async () => ({ accessToken: 'at-1', expiresInSeconds: 600 }),
    });
    await session.restore();
    expect((await session.getAccessCredential()).dpopKey).toBeUndefined();
  });

  it('the rotated refresh token is stored with the same key', async () => {
    const { key, vault } = await stored(true);
    const session = makeSession({
      vault,
      refresh: async () => ({ ...(await grant()), refreshToken: 'rt-2' }),
    });
    await session.restore();
    expect(JSON.parse(vault.value!)).toMatchObject({
      v: 2,
      refresh_token: 'rt-2',
      dpop: { jkt: key!.thumbprint },
    });
  });

  it.each([
    ['off', true, /DPoP-bound .* "off"/],
    ['required', false, /not DPoP-bound .* "required"/],
  ] as const)(
    'dpop "%s": an entry of the other kind is not used, the reason logged',
    async (mode, bound, reason) => {
      const { vault } = await stored(bound);
      const logger = memoryLogger();
      const refresh = vi.fn(grant);
      const session = makeSession({ vault, refresh, logger, dpop: mode });
      expect(await session.restore()).toBe('signed-out');
      expect(refresh).not.toHaveBeenCalled();
      expect(logger.lines.join('\n')).toMatch(reason);
    },
  );

  it('a Bearer entry keeps working as Bearer with auto', async () => {
    const { vault } = await stored(false);
    const refresh = vi.fn(async () => ({ accessToken: 'at-1', expiresInSeconds: 600 }));
    const session = makeSession({ vault, refresh });
    expect(await session.restore()).toBe('signed-in');
    expect(refresh).toHaveBeenCalledExactlyOnceWith('rt-stored', undefined);
    expect(JSON.parse(vault.value!).v).toBe(1);
  });
});
