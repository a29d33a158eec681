/**
 * DESIGN "Vault": several processes may share one session. Refreshing one
 * entry is exclusive across processes (`Vault.exclusive`), the entry is
 * re-read inside it, and an `invalid_grant` first re-reads the entry: a newer
 * refresh token stored by another process is used, not thrown away. Two
 * TokenSessions on one vault play two processes; the provider double rotates
 * refresh tokens and revokes the grant on reuse, as the dev provider does.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError } from '../../../src/core/errors.ts';
import { encodeStoredSession } from '../../../src/core/session/stored-session.ts';
import { TokenSession } from '../../../src/core/session/token-session.ts';
import type { TokenGrant } from '../../../src/core/session/token-session.ts';
import type { Vault } from '../../../src/core/vault/vault.ts';
import { RecordingVault } from './recording-vault.ts';
import { memoryLogger } from '../../support/memory-logger.ts';

const IDENTITY = { issuer: 'https://idp.example.com/', clientId: 'desktop-app' };
const stored = (refreshToken: string, sub = 'alice') =>
  encodeStoredSession({ ...IDENTITY, sub, refreshToken });
const invalidGrant = () => new AuthError('ERR_SESSION_EXPIRED', 'ended', { oauthError: 'invalid_grant' });

/** One vault entry several sessions share; `exclusive` (when offered) lets one holder in at a time. */
class SharedVault extends RecordingVault {
  override readonly kind = 'shared';
  #tail: Promise<unknown> = Promise.resolve();
  exclusive?: <T>(work: () => Promise<T>) => Promise<T>;

  constructor(value: string | undefined, options: { exclusive: boolean }) {
    super([], value);
    if (options.exclusive) {
      this.exclusive = <T>(work: () => Promise<T>): Promise<T> => {
        const run = this.#tail.then(async () => {
          this.log.push('exclusive begin');
          try {
            return await work();
          } finally {
            this.log.push('exclusive end');
          }
        });
        this.#tail = run.catch(() => undefined);
        return run;
      };
    }
  }
  override async read() {
    this.log.push('vault.read');
    return super.read();
  }
}

/** Rotates on every refresh; a rotated-out token coming back revokes the whole grant (RFC 9700 §4.14.2). */
class RotatingProvider {
  readonly presented: string[] = [];
  revoked = false;
  #live = new Set(['rt-0']);
  #count = 0;
  readonly log: string[] | undefined;
  constructor(log?: string[]) {
    this.log = log;
  }

  refresh = async (refreshToken: string): Promise<TokenGrant> => {
    this.presented.push(refreshToken);
    this.log?.push(`refresh ${refreshToken}`);
    // A network round trip: others run meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.revoked || !this.#live.delete(refreshToken)) {
      if (this.presented.filter((t) => t === refreshToken).length > 1) this.revoked = true;
      throw invalidGrant();
    }
    const next = `rt-${++this.#count}`;
    this.#live.add(next);
    return {
      accessToken: `at-${this.#count}`,
      expiresInSeconds: 600,
      refreshToken: next,
      claims: { sub: 'alice' },
    };
  };
}

const quiet = memoryLogger;

let sessions: TokenSession[] = [];
afterEach(() => {
  for (const s of sessions) s.dispose();
  sessions = [];
});

function processOn(
  vault: Vault,
  refresh: (rt: string) => Promise<TokenGrant>,
  logger = quiet(),
): TokenSession {
  const session = new TokenSession({
    vault,
    identity: IDENTITY,
    refresh,
    logger,
    refreshAheadMs: 60_000,
    retrySchedule: [0],
  });
  sessions.push(session);
  return session;
}

describe('token session: several processes on one vault entry', () => {
  it('two processes restoring and refreshing together both stay signed in; no refresh token is presented twice', async () => {
    const vault = new SharedVault(stored('rt-0'), { exclusive: true });
    const provider = new RotatingProvider();
    const [a, b] = [processOn(vault, provider.refresh), processOn(vault, provider.refresh)];
    expect(await Promise.all([a.restore(), b.restore()])).toEqual(['signed-in', 'signed-in']);
    await Promise.all([a.getAccessToken({ rejected: 'at-1' }), b.getAccessToken({ rejected: 'at-2' })]);
    expect(provider.revoked).toBe(false);
    expect(new Set(provider.presented).size).toBe(provider.presented.length);
    expect(vault.value).toBe(stored(`rt-${provider.presented.length}`));
    expect([a.state, b.state]).toEqual(['signed-in', 'signed-in']);
  });

  it('without exclusive, the same two processes present one token twice and the grant is revoked (what the lock prevents)', async () => {
    const vault = new SharedVault(stored('rt-0'), { exclusive: false });
    const provider = new RotatingProvider();
    const [a, b] = [processOn(vault, provider.refresh), processOn(vault, provider.refresh)];
    await Promise.all([a.restore(), b.restore()]);
    expect(provider.revoked).toBe(true);
  });

  it('the re-read, the refresh and the store of the rotated token all happen inside exclusive', async () => {
    const vault = new SharedVault(stored('rt-0'), { exclusive: true });
    const provider = new RotatingProvider(vault.log);
    await processOn(vault, provider.refresh).restore();
    expect(vault.log).toEqual([
      'vault.read',
      'exclusive begin',
      'vault.read',
      'refresh rt-0',
      'vault.write rt-1',
      'exclusive end',
    ]);
  });

  it('a refresh token another process stored meanwhile is used instead of the one in memory', async () => {
    const vault = new SharedVault(stored('rt-0'), { exclusive: true });
    const provider = new RotatingProvider();
    const logger = quiet();
    const a = processOn(vault, provider.refresh, logger);
    await a.restore();
    // Another process refreshes with rt-1 (now stored) and stores rt-2.
    await processOn(vault, provider.refresh).restore();
    expect(await a.getAccessToken({ rejected: 'at-1' })).toBe('at-3');
    expect(provider.presented).toEqual(['rt-0', 'rt-1', 'rt-2']);
    expect(vault.value).toBe(stored('rt-3'));
    expect(logger.lines).toContain(
      'info Another process renewed the session; continuing with the refresh token it stored.',
    );
  });

  it("another user's session in the entry is not taken up: the refresh uses this session's own token", async () => {
    const vault = new SharedVault(stored('rt-0'), { exclusive: true });
    const refresh = vi.fn(async () => ({
      accessToken: 'at-1',
      expiresInSeconds: 600,
      refreshToken: 'rt-1',
      claims: { sub: 'alice' },
    }));
    const a = processOn(vault, refresh);
    await a.restore();
    vault.value = stored('rt-bob', 'bob');
    await a.getAccessToken({ rejected: 'at-1' });
    expect(refresh).toHaveBeenLastCalledWith('rt-1', undefined);
  });

  it('invalid_grant with another refresh token in the entry by then: retried once with it, still signed in', async () => {
    // A process that refreshed without the lock (an older version, a vault without exclusive).
    const vault = new SharedVault(stored('rt-0'), { exclusive: false });
    const refresh = vi.fn(async (rt: string): Promise<TokenGrant> => {
      if (rt === 'rt-0') {
        vault.value = stored('rt-other');
        throw invalidGrant();
      }
      return { accessToken: 'at-1', expiresInSeconds: 600, refreshToken: 'rt-1', claims: { sub: 'alice' } };
    });
    const a = processOn(vault, refresh);
    expect(await a.restore()).toBe('signed-in');
    expect(refresh.mock.calls).toEqual([
      ['rt-0', undefined],
      ['rt-other', undefined],
    ]);
    expect(vault.value).toBe(stored('rt-1'));
  });

  it('invalid_grant with the refused token still in the entry: one request, signed out, entry cleared', async () => {
    const vault = new SharedVault(stored('rt-0'), { exclusive: true });
    const refresh = vi.fn(async (): Promise<TokenGrant> => {
      throw invalidGrant();
    });
    const a = processOn(vault, refresh);
    expect(await a.restore()).toBe('signed-out');
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(vault.value).toBeUndefined();
  });

  it('invalid_grant for the retried token too: two requests, then signed out', async () => {
    const vault = new SharedVault(stored('rt-0'), { exclusive: true });
    const refresh = vi.fn(async (rt: string): Promise<TokenGrant> => {
      if (rt === 'rt-0') vault.value = stored('rt-other');
      throw invalidGrant();
    });
    expect(await processOn(vault, refresh).restore()).toBe('signed-out');
    expect(refresh.mock.calls).toEqual([
      ['rt-0', undefined],
      ['rt-other', undefined],
    ]);
    expect(vault.value).toBeUndefined();
  });

  it('an entry that cannot be re-read: refreshed with the token in memory, with a warning', async () => {
    const vault = new SharedVault(stored('rt-0'), { exclusive: true });
    const provider = new RotatingProvider();
    const logger = quiet();
    const a = processOn(vault, provider.refresh, logger);
    await a.restore();
    vault.failReads = true;
    expect(await a.getAccessToken({ rejected: 'at-1' })).toBe('at-2');
    expect(provider.presented).toEqual(['rt-0', 'rt-1']);
    expect(logger.lines.some((l) => l.startsWith('warn Could not re-read'))).toBe(true);
  });
});
