/**
 * Signing out of one account or of all (issue 14): each account's session
 * ends locally and its refresh token is revoked (RFC 7009); the provider's
 * browser session is ended once, with the active account's ID token as the
 * hint (listed last), and never for the accounts before it.
 */
import * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import type { Account } from '../../../src/core/accounts/account-set.ts';
import { defineConfig } from '../../../src/core/config.ts';
import { AuthError } from '../../../src/core/errors.ts';
import { silentLogger } from '../../../src/core/logger.ts';
import type { EndedSession } from '../../../src/core/session/token-session.ts';
import { signOutAccounts } from '../../../src/core/sign-out.ts';

const ISSUER = 'https://idp.test/';
const config = defineConfig({ issuer: ISSUER, clientId: 'app', apiAudience: 'https://api.test' });

/** The provider: a revocation endpoint that records each token, refusing `refuse`. */
function provider(refuse: readonly string[] = []) {
  const revoked: string[] = [];
  const configuration = new client.Configuration(
    {
      issuer: ISSUER,
      token_endpoint: `${ISSUER}token`,
      revocation_endpoint: `${ISSUER}revoke`,
      end_session_endpoint: `${ISSUER}logout`,
    },
    'app',
    undefined,
    client.None(),
  );
  configuration[client.customFetch] = async (_url, init) => {
    const token = new URLSearchParams(init.body as string).get('token')!;
    if (refuse.includes(token)) {
      return new Response(JSON.stringify({ error: 'server_error' }), {
        status: 500,
        headers: { 'content-type': 'application/json' },
      });
    }
    revoked.push(token);
    return new Response(null, { status: 200 });
  };
  return { get: async () => configuration, revoked };
}

/** Accounts as AccountSet keeps them: the active one listed last by `ids()`. */
function accounts(subs: readonly string[], active: string) {
  const ended: string[] = [];
  const live = new Set(subs);
  const record = (sub: string) => ({ record: { id: `id-${sub}`, sub } }) as unknown as Account;
  return {
    ended,
    load: async () => {},
    active: record(active),
    ids: () => [...[...live].filter((s) => s !== active), active].map((s) => `id-${s}`),
    find(query: string): Account {
      const sub = query.replace(/^id-/, '');
      if (!live.has(sub)) throw new AuthError('ERR_UNKNOWN_ACCOUNT', `No signed-in account is "${query}".`);
      return record(sub);
    },
    async end(query?: string): Promise<EndedSession | undefined> {
      const sub = (query ?? `id-${active}`).replace(/^id-/, '');
      live.delete(sub);
      ended.push(sub);
      return { sub, refreshToken: `rt-${sub}`, idToken: `id-token-${sub}` };
    },
  };
}

/** A browser that loads the one-shot logout page (reading which ID token it posts) and never comes back. */
function browser() {
  const hints: string[] = [];
  return {
    hints,
    open: async (url: string) => {
      const page = await (await fetch(url)).text();
      hints.push(/name="id_token_hint" value="([^"]*)"/.exec(page)?.[1] ?? '(none)');
    },
  };
}

describe('signing out of accounts', () => {
  it('all: every account ended and revoked, the provider session ended once with the active account’s hint', async () => {
    const idp = provider();
    const set = accounts(['alice', 'bob', 'carol'], 'bob');
    const b = browser();
    const result = await signOutAccounts(
      { config, accounts: set, provider: idp.get, openBrowser: b.open, logger: silentLogger },
      // Long enough for the page to be fetched on a loaded machine (300 ms was not, once); the
      // browser never comes back, so the wait ends with the timeout.
      { all: true, endProviderSession: true, timeoutMs: 3_000 },
    );
    expect(set.ended).toEqual(['alice', 'carol', 'bob']);
    expect(idp.revoked).toEqual(['rt-alice', 'rt-carol', 'rt-bob']);
    expect(b.hints).toEqual(['id-token-bob']);
    expect(result).toMatchObject({
      revoked: true,
      endSessionUrl: expect.stringMatching(/^https:\/\/idp\.test\/logout\?/),
    });
  });

  it('one account: only it ended and revoked', async () => {
    const idp = provider();
    const set = accounts(['alice', 'bob'], 'bob');
    const result = await signOutAccounts(
      { config, accounts: set, provider: idp.get, openBrowser: browser().open, logger: silentLogger },
      { account: 'id-alice' },
    );
    expect(set.ended).toEqual(['alice']);
    expect(idp.revoked).toEqual(['rt-alice']);
    expect(result.revoked).toBe(true);
  });

  it('an unknown account: ERR_UNKNOWN_ACCOUNT, and nothing ended or revoked', async () => {
    const idp = provider();
    const set = accounts(['alice'], 'alice');
    await expect(
      signOutAccounts(
        { config, accounts: set, provider: idp.get, openBrowser: browser().open, logger: silentLogger },
        { account: 'nobody' },
      ),
    ).rejects.toMatchObject({ code: 'ERR_UNKNOWN_ACCOUNT' });
    expect(set.ended).toEqual([]);
    expect(idp.revoked).toEqual([]);
  });

  it('all: one revocation refused still ends every account, and says not everything was revoked', async () => {
    const idp = provider(['rt-alice']);
    const set = accounts(['alice', 'bob'], 'bob');
    const result = await signOutAccounts(
      { config, accounts: set, provider: idp.get, openBrowser: browser().open, logger: silentLogger },
      { all: true },
    );
    expect(set.ended).toEqual(['alice', 'bob']);
    expect(idp.revoked).toEqual(['rt-bob']);
    expect(result.revoked).toBe(false);
  });
});
