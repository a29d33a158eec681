import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { closeServer, listenOnLoopback } from '@electron-oidc/test-support';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BRIDGE_CHANNELS, BRIDGE_VERBS } from '../../src/bridge/channels.ts';
import { createBridgeHandlers } from '../../src/bridge/handlers.ts';
import type { BridgeAuth, BridgeHandlers } from '../../src/bridge/handlers.ts';
import { BRIDGE_ERROR_CODES, BRIDGE_OWN_ERROR_CODES } from '../../src/bridge/error-codes.ts';
import { AUTH_ERROR_CODES, AuthError } from '../../src/core/errors.ts';

const APP = 'app://desktop';
const PAGE = 'app://desktop/index.html';
const ACCESS_TOKEN = 'eyJ.access-token-that-must-never-cross.sig';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>';

let server: Server;
let pictureUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/alice.svg') res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(SVG);
    else res.writeHead(404).end();
  });
  pictureUrl = `${(await listenOnLoopback(server)).origin}/alice.svg`;
});

afterAll(async () => {
  await closeServer(server);
});

/** A stand-in for the library's session: just the shape the bridge uses. */
type FakeAuth = BridgeAuth & { calls: string[]; setState(state: string): void; listenerCount(): number };

function fakeAuth(overrides: Partial<BridgeAuth> = {}): FakeAuth {
  const calls: string[] = [];
  const listeners = new Set<(state: string) => void>();
  let state = 'signed-in';
  return {
    calls,
    get state() {
      return state;
    },
    setState(next: string) {
      state = next;
      for (const listener of [...listeners]) listener(next);
    },
    listenerCount: () => listeners.size,
    onStateChange(listener: (state: string) => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async signIn() {
      calls.push('signIn');
      return { accessToken: ACCESS_TOKEN };
    },
    cancelSignIn() {
      calls.push('cancelSignIn');
    },
    async signOut() {
      calls.push('signOut');
      return { revoked: true, endSessionUrl: undefined };
    },
    async getAccessToken() {
      calls.push('getAccessToken');
      return ACCESS_TOKEN;
    },
    getProfile() {
      calls.push('getProfile');
      return {
        sub: 'alice-sub',
        name: 'Alice Liddell',
        email: 'alice@example.com',
        picture: pictureUrl,
        access_token: ACCESS_TOKEN,
      };
    },
    async fetchApi(path: string) {
      calls.push(`fetchApi ${path}`);
      return Response.json({ message: 'Only authenticated users can read this message.' });
    },
    listAccounts: () => [],
    onAccountsChange: () => () => {},
    async useAccount(id: string) {
      calls.push(`useAccount ${id}`);
    },
    ...overrides,
  };
}

const quiet = { log: () => {} };

function handlersFor(
  auth: BridgeAuth,
  extra: Partial<Parameters<typeof createBridgeHandlers>[1]> = {},
): BridgeHandlers {
  return createBridgeHandlers(auth, { appOrigin: APP, ...quiet, ...extra });
}

describe('createBridgeHandlers', () => {
  it('has a handler for every channel and nothing else', () => {
    const handlers = handlersFor(fakeAuth());
    expect(Object.keys(handlers).sort()).toEqual(
      [...Object.values(BRIDGE_CHANNELS), 'onAccounts', 'onSessionState'].sort(),
    );
    expect(Object.isFrozen(handlers)).toBe(true);
  });

  it('refuses to start with an appOrigin that is not an origin', () => {
    expect(() => createBridgeHandlers(fakeAuth(), { appOrigin: 'app://desktop/' })).toThrow(TypeError);
    expect(() => createBridgeHandlers(fakeAuth(), { appOrigin: 'null' })).toThrow(TypeError);
  });

  describe.each(BRIDGE_VERBS.map((verb) => [verb]))('%s', (verb) => {
    const channel = BRIDGE_CHANNELS[verb];

    it.each([
      ['another origin', 'https://evil.example/'],
      ['another host on the app scheme', 'app://evil/index.html'],
      ['a file: page', 'file:///home/user/app/index.html'],
      ['a data: page (null origin)', 'data:text/html,<script></script>'],
      ['about:blank', 'about:blank'],
      ['a loopback page on another port', 'http://127.0.0.1:1/'],
      ['an empty sender', ''],
    ])('refuses a call from %s and does nothing', async (_what, sender) => {
      const auth = fakeAuth();
      const result = await handlersFor(auth)[channel](sender, []);
      expect(result).toEqual({
        ok: false,
        error: { code: 'ERR_SENDER_REFUSED', message: expect.any(String) },
      });
      expect(auth.calls).toEqual([]);
    });

    // The account verbs take one id, so a lone string like 'x' is theirs to check (test/bridge/accounts.test.ts).
    const takesAnId = verb === 'switchAccount' || verb === 'removeAccount';
    it.each(
      takesAnId
        ? [[[]], [[undefined]], [[{}]], [[null, null]]]
        : [[['x']], [[undefined]], [[{}]], [[null, null]]],
    )('refuses arguments %j and does nothing', async (args) => {
      const auth = fakeAuth();
      const result = await handlersFor(auth)[channel](PAGE, args);
      expect(result).toEqual({
        ok: false,
        error: { code: 'ERR_INVALID_ARGUMENTS', message: expect.any(String) },
      });
      expect(auth.calls).toEqual([]);
    });

    it('refuses arguments that are not a list', async () => {
      const auth = fakeAuth();
      const result = await handlersFor(auth)[channel](PAGE, 'x' as unknown as unknown[]);
      expect(result).toMatchObject({ ok: false, error: { code: 'ERR_INVALID_ARGUMENTS' } });
    });
  });

  it('signIn signs in and answers null, not what the library returned', async () => {
    const auth = fakeAuth();
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.signIn](PAGE, [])).toEqual({ ok: true, value: null });
    expect(auth.calls).toEqual(['signIn']);
  });

  it('passes a library error through as { code, message }', async () => {
    const auth = fakeAuth({
      signIn: async () => {
        throw new AuthError('ERR_SIGN_IN_CANCELLED', 'The sign-in was cancelled.');
      },
    });
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.signIn](PAGE, [])).toEqual({
      ok: false,
      error: { code: 'ERR_SIGN_IN_CANCELLED', message: 'The sign-in was cancelled.' },
    });
  });

  it.each(AUTH_ERROR_CODES.map((code) => [code]))(
    'passes the library code %s through, listed among the bridge codes',
    async (code) => {
      expect(BRIDGE_ERROR_CODES).toContain(code);
      const auth = fakeAuth({
        signIn: async () => {
          throw new AuthError(code, 'What the user should do.');
        },
      });
      expect(await handlersFor(auth)[BRIDGE_CHANNELS.signIn](PAGE, [])).toEqual({
        ok: false,
        error: { code, message: 'What the user should do.' },
      });
    },
  );

  it("lists the bridge's own codes apart from the library's, each once", () => {
    expect(
      BRIDGE_OWN_ERROR_CODES.filter((code) => (AUTH_ERROR_CODES as readonly string[]).includes(code)),
    ).toEqual([]);
    expect(new Set(BRIDGE_ERROR_CODES).size).toBe(BRIDGE_ERROR_CODES.length);
  });

  it('reports any other error as ERR_INTERNAL without its message, and logs it', async () => {
    const log = vi.fn();
    const auth = fakeAuth({
      signIn: async () => {
        throw new Error(`token endpoint said ${ACCESS_TOKEN}`);
      },
    });
    const result = await handlersFor(auth, { log })[BRIDGE_CHANNELS.signIn](PAGE, []);
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_INTERNAL' } });
    expect(JSON.stringify(result)).not.toContain(ACCESS_TOKEN);
    expect(log).toHaveBeenCalled();
  });

  it('getProfile hands over name, email and the picture as a data URL, and no other claim', async () => {
    const result = await handlersFor(fakeAuth())[BRIDGE_CHANNELS.getProfile](PAGE, []);
    expect(result).toEqual({
      ok: true,
      value: {
        name: 'Alice Liddell',
        email: 'alice@example.com',
        picture: `data:image/svg+xml;base64,${Buffer.from(SVG).toString('base64')}`,
      },
    });
    expect(JSON.stringify(result)).not.toContain('alice-sub');
    expect(JSON.stringify(result)).not.toContain(ACCESS_TOKEN);
  });

  it('getProfile drops a picture it may not fetch and keeps the rest', async () => {
    const auth = fakeAuth({ getProfile: () => ({ sub: 's', name: 'Alice', picture: 'file:///etc/passwd' }) });
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.getProfile](PAGE, [])).toEqual({
      ok: true,
      value: { name: 'Alice', email: null, picture: null },
    });
  });

  it('getProfile strips control and bidi-override characters and non-string claims', async () => {
    const auth = fakeAuth({
      getProfile: () => ({ sub: 's', name: ' Al\u202eice\u0000 ', email: { toString: () => 'x' } }),
    });
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.getProfile](PAGE, [])).toEqual({
      ok: true,
      value: { name: 'Alice', email: null, picture: null },
    });
  });

  it('getProfile says nobody is signed in when there is no profile', async () => {
    const auth = fakeAuth({ getProfile: () => undefined });
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.getProfile](PAGE, [])).toMatchObject({
      ok: false,
      error: { code: 'ERR_NOT_SIGNED_IN' },
    });
  });

  it('getPrivateMessage calls the configured API path and returns only the message', async () => {
    const auth = fakeAuth({
      fetchApi: async (path) => {
        auth.calls.push(`fetchApi ${path}`);
        return Response.json({
          message: 'Only authenticated users can read this message.',
          token: ACCESS_TOKEN,
        });
      },
    });
    const result = await handlersFor(auth)[BRIDGE_CHANNELS.getPrivateMessage](PAGE, []);
    expect(result).toEqual({
      ok: true,
      value: { message: 'Only authenticated users can read this message.' },
    });
    expect(auth.calls).toEqual(['fetchApi /private']);
  });

  it.each([
    [401, 'ERR_API_REFUSED'],
    [403, 'ERR_API_REFUSED'],
    [500, 'ERR_API_UNAVAILABLE'],
    [503, 'ERR_API_UNAVAILABLE'],
  ])('getPrivateMessage reports an API status %i as %s', async (status, code) => {
    const auth = fakeAuth({ fetchApi: async () => new Response('{"error":"invalid_token"}', { status }) });
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.getPrivateMessage](PAGE, [])).toMatchObject({
      ok: false,
      error: { code },
    });
  });

  it.each([['not json'], ['{"message":42}'], ['[]']])(
    'getPrivateMessage refuses the API body %s',
    async (body) => {
      const auth = fakeAuth({ fetchApi: async () => new Response(body, { status: 200 }) });
      expect(await handlersFor(auth)[BRIDGE_CHANNELS.getPrivateMessage](PAGE, [])).toMatchObject({
        ok: false,
        error: { code: 'ERR_API_RESPONSE_INVALID' },
      });
    },
  );

  it('getPrivateMessage reports a network failure as ERR_API_UNAVAILABLE', async () => {
    const auth = fakeAuth({
      fetchApi: async () => {
        throw new TypeError('fetch failed');
      },
    });
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.getPrivateMessage](PAGE, [])).toMatchObject({
      ok: false,
      error: { code: 'ERR_API_UNAVAILABLE' },
    });
  });

  it('getPrivateMessage passes the library offline error through', async () => {
    const auth = fakeAuth({
      fetchApi: async () => {
        throw new AuthError('ERR_OFFLINE', 'You are offline.');
      },
    });
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.getPrivateMessage](PAGE, [])).toEqual({
      ok: false,
      error: { code: 'ERR_OFFLINE', message: 'You are offline.' },
    });
  });

  it('signOut signs out and ends the provider session by default, and returns nothing of the outcome', async () => {
    const seen: unknown[] = [];
    const auth = fakeAuth({
      signOut: async (options) => {
        seen.push(options);
        return { revoked: true, endSessionUrl: 'https://idp.example.com/session/end?id_token_hint=x' };
      },
    });
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.signOut](PAGE, [])).toEqual({ ok: true, value: null });
    expect(seen).toEqual([{ endProviderSession: true }]);
  });

  it('signOut leaves the provider session alone when told to', async () => {
    const seen: unknown[] = [];
    const auth = fakeAuth({ signOut: async (options) => void seen.push(options) });
    await handlersFor(auth, { endProviderSession: false })[BRIDGE_CHANNELS.signOut](PAGE, []);
    expect(seen).toEqual([{ endProviderSession: false }]);
  });

  it('getSessionState answers a known state, and anything else as signed out', async () => {
    expect(
      await handlersFor(fakeAuth({ state: 'offline' }))[BRIDGE_CHANNELS.getSessionState](PAGE, []),
    ).toEqual({
      ok: true,
      value: 'offline',
    });
    expect(
      await handlersFor(fakeAuth({ state: 'weird' }))[BRIDGE_CHANNELS.getSessionState](PAGE, []),
    ).toEqual({
      ok: true,
      value: 'signed-out',
    });
  });

  it('renewSession renews the session and answers null, never the token', async () => {
    const auth = fakeAuth();
    const result = await handlersFor(auth)[BRIDGE_CHANNELS.renewSession](PAGE, []);
    expect(result).toEqual({ ok: true, value: null });
    expect(auth.calls).toEqual(['getAccessToken']);
  });

  it('renewSession reports still being offline', async () => {
    const auth = fakeAuth({
      getAccessToken: async () => {
        throw new AuthError('ERR_OFFLINE', 'Still offline.');
      },
    });
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.renewSession](PAGE, [])).toEqual({
      ok: false,
      error: { code: 'ERR_OFFLINE', message: 'Still offline.' },
    });
  });

  it('cancelSignIn cancels', async () => {
    const auth = fakeAuth();
    expect(await handlersFor(auth)[BRIDGE_CHANNELS.cancelSignIn](PAGE, [])).toEqual({
      ok: true,
      value: null,
    });
    expect(auth.calls).toEqual(['cancelSignIn']);
  });
});

describe('session state', () => {
  function follow(auth: FakeAuth, handlers: BridgeHandlers) {
    const seen: string[] = [];
    const stop = handlers.onSessionState((state) => seen.push(state));
    return { seen, stop };
  }

  it('pushes every change of the library state', () => {
    const auth = fakeAuth();
    auth.setState('signed-out');
    const { seen } = follow(auth, handlersFor(auth));
    auth.setState('offline');
    auth.setState('signed-in');
    auth.setState('signed-out');
    expect(seen).toEqual(['offline', 'signed-in', 'signed-out']);
  });

  it('reports an unknown library state as signed out', () => {
    const auth = fakeAuth();
    const { seen } = follow(auth, handlersFor(auth));
    auth.setState('bogus');
    expect(seen).toEqual(['signed-out']);
  });

  it('calls a silent restore "restoring": there is nothing for the user to do in a browser', async () => {
    const auth = fakeAuth();
    auth.setState('signed-out');
    const handlers = handlersFor(auth);
    const { seen } = follow(auth, handlers);
    auth.setState('signing-in');
    expect(await handlers[BRIDGE_CHANNELS.getSessionState](PAGE, [])).toEqual({
      ok: true,
      value: 'restoring',
    });
    auth.setState('signed-in');
    expect(seen).toEqual(['restoring', 'signed-in']);
  });

  it('calls a sign-in the user started through the bridge "signing-in"', async () => {
    let finish: () => void = () => {};
    const auth = fakeAuth({
      signIn: () => {
        auth.setState('signing-in');
        return new Promise<void>((resolve) => (finish = resolve));
      },
    });
    auth.setState('signed-out');
    const handlers = handlersFor(auth);
    const { seen } = follow(auth, handlers);
    const signingIn = handlers[BRIDGE_CHANNELS.signIn](PAGE, []);
    expect(await handlers[BRIDGE_CHANNELS.getSessionState](PAGE, [])).toEqual({
      ok: true,
      value: 'signing-in',
    });
    auth.setState('signed-in');
    finish();
    await signingIn;
    expect(seen).toEqual(['signing-in', 'signed-in']);
  });

  it('turns a silent restore into the user\'s sign-in when they click "Sign in" during it', async () => {
    const auth = fakeAuth({ signIn: () => new Promise<void>(() => {}) });
    auth.setState('signed-out');
    const handlers = handlersFor(auth);
    const { seen } = follow(auth, handlers);
    auth.setState('signing-in');
    void handlers[BRIDGE_CHANNELS.signIn](PAGE, []);
    expect(seen).toEqual(['restoring', 'signing-in']);
  });

  it('follows the library only while someone listens, and stops for good', () => {
    const auth = fakeAuth();
    const handlers = handlersFor(auth);
    expect(auth.listenerCount()).toBe(0);
    const a = follow(auth, handlers);
    const b = follow(auth, handlers);
    expect(auth.listenerCount()).toBe(1);
    a.stop();
    auth.setState('offline');
    b.stop();
    b.stop();
    auth.setState('signed-out');
    expect(auth.listenerCount()).toBe(0);
    expect(a.seen).toEqual([]);
    expect(b.seen).toEqual(['offline']);
  });
});
