/**
 * The account verbs of the bridge (listAccounts, switchAccount, addAccount,
 * removeAccount) and the list it pushes, against a stand-in of the library
 * with two accounts. Most cases are the attacker's: a renderer calling the
 * verbs with whatever it likes must get a coded refusal, and the library must
 * never hear of it.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { closeServer, listenOnLoopback } from '@electron-oidc/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_CHANNELS } from '../../src/bridge/channels.ts';
import type { BridgeAccount } from '../../src/bridge/contract.ts';
import { createBridgeHandlers } from '../../src/bridge/handlers.ts';
import type { BridgeAuth, BridgeAuthAccount, BridgeHandlerOptions } from '../../src/bridge/handlers.ts';
import { AuthError } from '../../src/core/errors.ts';

const APP = 'app://desktop';
const PAGE = 'app://desktop/index.html';
const ALICE_ID = 'QWxpY2VBbGljZUFs';
const BOB_ID = 'Qm9iQm9iQm9iQm9i';
const SECRETS = ['alice-sub', 'bob-sub', 'eyJ.refresh-or-id-token.sig'];
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>';
const SVG_DATA_URL = `data:image/svg+xml;base64,${Buffer.from(SVG).toString('base64')}`;

let server: Server;
let origin: string;
const pictureRequests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    pictureRequests.push(req.url ?? '');
    if (req.url?.endsWith('.svg')) res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(SVG);
    else res.writeHead(404).end();
  });
  origin = (await listenOnLoopback(server)).origin;
});

afterAll(async () => {
  await closeServer(server);
});

type Summary = BridgeAuthAccount & Record<string, unknown>;

/** The library's summaries, with what it must never pass on smuggled beside them. */
function summaries(): Summary[] {
  return [
    {
      id: ALICE_ID,
      sub: 'alice-sub',
      refreshToken: SECRETS[2],
      name: 'Alice Liddell',
      email: 'alice@example.com',
      picture: `${origin}/alice.svg`,
      active: false,
      state: 'signed-in',
    },
    {
      id: BOB_ID,
      sub: 'bob-sub',
      idToken: SECRETS[2],
      name: 'Bob Builder',
      email: 'bob@example.com',
      picture: `${origin}/bob.svg`,
      active: true,
      state: 'signed-in',
    },
  ];
}

/** The stand-in's own controls, beside what the bridge uses. */
interface AccountsAuth extends BridgeAuth {
  calls: string[];
  signOuts: unknown[];
  accounts: Summary[];
  accountListeners: Set<() => void>;
  setState(next: string): void;
  changeAccounts(next?: Summary[]): void;
}

/** A stand-in for the library with two accounts, recording every call the bridge makes. */
function accountsAuth(accounts = summaries()): AccountsAuth {
  const calls: string[] = [];
  const signOuts: unknown[] = [];
  const stateListeners = new Set<(state: string) => void>();
  const accountListeners = new Set<() => void>();
  let state = 'signed-in';
  const auth: AccountsAuth = {
    calls,
    signOuts,
    accounts,
    accountListeners,
    get state() {
      return state;
    },
    setState(next: string) {
      state = next;
      for (const listener of [...stateListeners]) listener(next);
    },
    changeAccounts(next: Summary[] = auth.accounts) {
      auth.accounts = next;
      for (const listener of [...accountListeners]) listener();
    },
    onStateChange(listener: (state: string) => void) {
      stateListeners.add(listener);
      return () => void stateListeners.delete(listener);
    },
    onAccountsChange(listener: () => void) {
      accountListeners.add(listener);
      return () => void accountListeners.delete(listener);
    },
    listAccounts: () => auth.accounts,
    async useAccount(id: string) {
      calls.push(`useAccount ${id}`);
      return 'signed-in';
    },
    async signIn() {
      calls.push('signIn');
    },
    cancelSignIn() {
      calls.push('cancelSignIn');
    },
    async signOut(options?: unknown) {
      calls.push('signOut');
      signOuts.push(options);
    },
    async getAccessToken() {
      calls.push('getAccessToken');
      return SECRETS[2];
    },
    getProfile: () => undefined,
    async fetchApi() {
      calls.push('fetchApi');
      return new Response(null, { status: 204 });
    },
  };
  return auth;
}

function handlersFor(auth: BridgeAuth, extra: Partial<BridgeHandlerOptions> = {}) {
  return createBridgeHandlers(auth, { appOrigin: APP, log: () => {}, ...extra });
}

const ALICE: BridgeAccount = {
  id: ALICE_ID,
  name: 'Alice Liddell',
  email: 'alice@example.com',
  picture: SVG_DATA_URL,
  active: false,
  state: 'signed-in',
};
const BOB: BridgeAccount = {
  id: BOB_ID,
  name: 'Bob Builder',
  email: 'bob@example.com',
  picture: SVG_DATA_URL,
  active: true,
  state: 'signed-in',
};

describe('listAccounts', () => {
  it('lists name, email, picture as a data URL, active and state: nothing else of the summary', async () => {
    const result = await handlersFor(accountsAuth())[BRIDGE_CHANNELS.listAccounts](PAGE, []);
    expect(result).toEqual({ ok: true, value: [ALICE, BOB] });
    for (const secret of SECRETS) expect(JSON.stringify(result)).not.toContain(secret);
  });

  it.each([
    ['signing-in', 'restoring'],
    ['offline', 'offline'],
    ['signed-out', 'signed-out'],
    ['root', 'signed-out'],
  ])('shows an account whose library state is %s as %s', async (state, shown) => {
    const auth = accountsAuth([{ ...summaries()[0]!, state }]);
    const result = await handlersFor(auth)[BRIDGE_CHANNELS.listAccounts](PAGE, []);
    expect(result).toMatchObject({ ok: true, value: [{ state: shown }] });
  });

  it('cleans names and emails, drops a picture it may not fetch, and leaves out a malformed id', async () => {
    const auth = accountsAuth([
      {
        ...summaries()[0]!,
        name: ' Al\u202eice\u0000 ',
        email: 42 as unknown as string,
        picture: 'file:///etc/passwd',
      },
      { ...summaries()[1]!, id: 'not an id' },
    ]);
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.listAccounts](PAGE, [])).toEqual({
      ok: true,
      value: [{ ...ALICE, name: 'Alice', email: null, picture: null }],
    });
  });

  it('fetches each picture once per URL, for the list and the profile alike', async () => {
    const auth = accountsAuth(
      summaries().map((account) => ({ ...account, picture: `${origin}/shared-${ALICE_ID}.svg` })),
    );
    const handlers = handlersFor(auth);
    const before = pictureRequests.length;
    await handlers[BRIDGE_CHANNELS.listAccounts](PAGE, []);
    await handlers[BRIDGE_CHANNELS.listAccounts](PAGE, []);
    expect(pictureRequests.length - before).toBe(1);
  });
});

describe('switchAccount', () => {
  it('makes a listed account the active one, by its exact id', async () => {
    const auth = accountsAuth();
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.switchAccount](PAGE, [ALICE_ID])).toEqual({
      ok: true,
      value: null,
    });
    expect(auth.calls).toEqual([`useAccount ${ALICE_ID}`]);
  });

  it('shows "restoring", not "signed out", while the account switched to signs in silently', async () => {
    const auth = accountsAuth();
    auth.useAccount = async (id: string) => {
      auth.calls.push(`useAccount ${id}`);
      // The library: the account chosen is active before its stored session is restored.
      auth.setState('signed-out');
      await new Promise((resolve) => setTimeout(resolve, 5));
      auth.setState('signing-in');
      auth.setState('signed-in');
      return 'signed-in';
    };
    const handlers = handlersFor(auth);
    const seen: string[] = [];
    handlers.onSessionState((state) => seen.push(state));
    await handlers[BRIDGE_CHANNELS.switchAccount](PAGE, [ALICE_ID]);
    expect(seen).toEqual(['restoring', 'signed-in']);
  });

  it('a switch to an account that cannot be restored ends signed out, once the switch is over', async () => {
    const auth = accountsAuth();
    auth.useAccount = async () => {
      auth.setState('signed-out');
      return 'signed-out';
    };
    const handlers = handlersFor(auth);
    const seen: string[] = [];
    handlers.onSessionState((state) => seen.push(state));
    await handlers[BRIDGE_CHANNELS.switchAccount](PAGE, [ALICE_ID]);
    expect(seen).toEqual(['restoring', 'signed-out']);
  });

  it('passes the library error through when the account went away meanwhile', async () => {
    const auth = accountsAuth();
    auth.useAccount = async () => {
      throw new AuthError('ERR_UNKNOWN_ACCOUNT', 'No signed-in account is that one.');
    };
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.switchAccount](PAGE, [ALICE_ID])).toEqual({
      ok: false,
      error: { code: 'ERR_UNKNOWN_ACCOUNT', message: 'No signed-in account is that one.' },
    });
  });
});

describe('addAccount', () => {
  it('starts a sign-in, shown as the user\'s own ("signing-in"), and answers null', async () => {
    const auth = accountsAuth();
    let finish: () => void = () => {};
    auth.signIn = () => {
      auth.calls.push('signIn');
      auth.setState('signing-in');
      return new Promise<void>((resolve) => (finish = resolve));
    };
    const handlers = handlersFor(auth);
    const seen: string[] = [];
    handlers.onSessionState((state) => seen.push(state));
    const adding = handlers[BRIDGE_CHANNELS.addAccount](PAGE, []);
    auth.setState('signed-in');
    finish();
    expect(await adding).toEqual({ ok: true, value: null });
    expect(seen).toEqual(['signing-in', 'signed-in']);
    expect(auth.calls).toEqual(['signIn']);
  });

  it('passes a cancelled sign-in through with its code', async () => {
    const auth = accountsAuth();
    auth.signIn = async () => {
      throw new AuthError('ERR_SIGN_IN_CANCELLED', 'The sign-in was cancelled.');
    };
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.addAccount](PAGE, [])).toMatchObject({
      ok: false,
      error: { code: 'ERR_SIGN_IN_CANCELLED' },
    });
  });
});

describe('removeAccount', () => {
  it('signs out of that account only, ending its provider session as signOut does', async () => {
    const auth = accountsAuth();
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.removeAccount](PAGE, [ALICE_ID])).toEqual({
      ok: true,
      value: null,
    });
    expect(auth.signOuts).toEqual([{ account: ALICE_ID, endProviderSession: true }]);
  });

  it('leaves the provider session alone when the app says so', async () => {
    const auth = accountsAuth();
    await handlersFor(auth, { endProviderSession: false })[BRIDGE_CHANNELS.removeAccount](PAGE, [BOB_ID]);
    expect(auth.signOuts).toEqual([{ account: BOB_ID, endProviderSession: false }]);
  });

  it("forgets the removed account's picture: the next one at that URL is fetched anew", async () => {
    const auth = accountsAuth(
      summaries().map((account) => ({ ...account, picture: `${origin}/${account.id}-forget.svg` })),
    );
    const handlers = handlersFor(auth);
    const fetched = () => pictureRequests.filter((url) => url === `/${ALICE_ID}-forget.svg`).length;
    await handlers[BRIDGE_CHANNELS.listAccounts](PAGE, []);
    await handlers[BRIDGE_CHANNELS.removeAccount](PAGE, [ALICE_ID]);
    await handlers[BRIDGE_CHANNELS.listAccounts](PAGE, []);
    expect(fetched()).toBe(2);
  });
});

describe("the account verbs, from the attacker's side", () => {
  const idVerbs = [['switchAccount'], ['removeAccount']] as const;

  describe.each(idVerbs)('%s', (verb) => {
    const channel = BRIDGE_CHANNELS[verb];

    it.each([
      ['no argument', []],
      ['two ids', [ALICE_ID, BOB_ID]],
      ['an id and options', [ALICE_ID, { all: true }]],
      ['null', [null]],
      ['a number', [42]],
      ['an object with the id', [{ id: ALICE_ID }]],
      ['an object that stringifies to the id', [{ toString: () => ALICE_ID }]],
      ['a String object', [new String(ALICE_ID)]],
      ['an array holding the id', [[ALICE_ID]]],
      ['an empty string', ['']],
      ['65 characters', ['a'.repeat(65)]],
      ['a huge string', ['A'.repeat(8 * 1024 * 1024)]],
      ['an email (the library would take it)', ['alice@example.com']],
      ['a path', ['../../etc/passwd']],
      ['a newline after the id', [`${ALICE_ID}\n`]],
      ['a NUL after the id', [`${ALICE_ID}\u0000`]],
      ['full-width letters', ['ＱＷｘｐＹ２ＶＢ']],
      ['a prototype-polluting object', [JSON.parse('{"__proto__":{"polluted":true},"id":"x"}')]],
    ])('refuses %s with ERR_INVALID_ARGUMENTS, and the library hears nothing', async (_what, args) => {
      const auth = accountsAuth();
      const result = await handlersFor(auth)[channel](PAGE, args as unknown[]);
      expect(result).toEqual({
        ok: false,
        error: { code: 'ERR_INVALID_ARGUMENTS', message: expect.any(String) },
      });
      expect(auth.calls).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it.each([
      ['an id no account has', ['AAAAAAAAAAAAAAAA']],
      ['__proto__', ['__proto__']],
      ['constructor', ['constructor']],
      ['hasOwnProperty', ['hasOwnProperty']],
      ['a subject (the library would take it)', ['alice-sub']],
      ['the longest well-formed id', ['a'.repeat(64)]],
    ])('refuses %s with ERR_UNKNOWN_ACCOUNT, and the library hears nothing', async (_what, args) => {
      const auth = accountsAuth();
      const result = await handlersFor(auth)[channel](PAGE, args);
      expect(result).toEqual({
        ok: false,
        error: { code: 'ERR_UNKNOWN_ACCOUNT', message: expect.any(String) },
      });
      expect(auth.calls).toEqual([]);
    });

    it.each([
      ['another origin', 'https://evil.example/'],
      ['a file: page', 'file:///home/user/app/index.html'],
      ['a data: page', 'data:text/html,<script></script>'],
    ])('refuses a call from %s, even with a listed id', async (_what, sender) => {
      const auth = accountsAuth();
      expect(await handlersFor(auth)[channel](sender, [ALICE_ID])).toMatchObject({
        ok: false,
        error: { code: 'ERR_SENDER_REFUSED' },
      });
      expect(auth.calls).toEqual([]);
    });
  });

  it('listAccounts and addAccount take no argument', async () => {
    const auth = accountsAuth();
    const handlers = handlersFor(auth);
    for (const channel of [BRIDGE_CHANNELS.listAccounts, BRIDGE_CHANNELS.addAccount]) {
      expect(await handlers[channel](PAGE, [ALICE_ID])).toMatchObject({
        ok: false,
        error: { code: 'ERR_INVALID_ARGUMENTS' },
      });
    }
    expect(auth.calls).toEqual([]);
  });
});

describe('the pushed list of accounts', () => {
  it('pushes the whole list on every change, and not the same list twice', async () => {
    const auth = accountsAuth();
    const handlers = handlersFor(auth);
    const seen: BridgeAccount[][] = [];
    handlers.onAccounts((accounts) => seen.push(accounts));
    auth.changeAccounts();
    await expect.poll(() => seen.length).toBe(1);
    auth.changeAccounts();
    auth.changeAccounts(auth.accounts.map((a) => ({ ...a, active: a.id === ALICE_ID })));
    await expect.poll(() => seen.length).toBe(2);
    expect(seen).toEqual([
      [ALICE, BOB],
      [
        { ...ALICE, active: true },
        { ...BOB, active: false },
      ],
    ]);
    for (const secret of SECRETS) expect(JSON.stringify(seen)).not.toContain(secret);
  });

  it('pushes the newest list when an older one is still fetching its pictures', async () => {
    const auth = accountsAuth();
    const handlers = handlersFor(auth);
    const seen: BridgeAccount[][] = [];
    handlers.onAccounts((accounts) => seen.push(accounts));
    // The first list waits for a picture not fetched yet; the second, without it, is ready at once.
    auth.changeAccounts([{ ...summaries()[0]!, picture: `${origin}/slow-${Date.now()}.svg` }]);
    auth.changeAccounts([{ ...summaries()[1]!, picture: undefined }]);
    await expect.poll(() => seen.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([[{ ...BOB, picture: null }]]);
  });

  it('follows the library only while someone listens', () => {
    const auth = accountsAuth();
    const handlers = handlersFor(auth);
    expect(auth.accountListeners.size).toBe(0);
    const stopA = handlers.onAccounts(() => {});
    const stopB = handlers.onAccounts(() => {});
    expect(auth.accountListeners.size).toBe(1);
    stopA();
    stopA();
    expect(auth.accountListeners.size).toBe(1);
    stopB();
    expect(auth.accountListeners.size).toBe(0);
  });
});
