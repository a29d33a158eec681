import { describe, expect, it, vi } from 'vitest';
import { sensitiveMessageArguments } from '../../src/bridge/arguments.ts';
import { BRIDGE_CHANNELS } from '../../src/bridge/channels.ts';
import { createBridgeHandlers } from '../../src/bridge/handlers.ts';
import type { BridgeAuth } from '../../src/bridge/handlers.ts';
import type { BridgeSessionState } from '../../src/bridge/contract.ts';
import { BRIDGE_ERROR_CODES } from '../../src/bridge/error-codes.ts';
import { stepUpRequired } from '../../src/core/step-up.ts';

const APP = 'app://desktop';
const PAGE = 'app://desktop/index.html';
const ACCESS_TOKEN = 'eyJ.access-token-that-must-never-cross.sig';
const ACR_OTP = 'urn:electron-oidc:acr:otp';
const SENSITIVE = 'Only recently verified users can read this sensitive message.';
const channel = BRIDGE_CHANNELS.getSensitiveMessage;

type StepUpMode = 'reject' | 'auto' | undefined;

/**
 * The library's session as far as the bridge sees it, with an API that wants a
 * one-time-code sign-in until the user has stepped up.
 */
function stepUpAuth() {
  const listeners = new Set<(state: string) => void>();
  const modes: StepUpMode[] = [];
  const paths: string[] = [];
  let state = 'signed-in';
  let steppedUp = false;
  const setState = (next: string): void => {
    state = next;
    for (const listener of [...listeners]) listener(next);
  };
  const auth: BridgeAuth = {
    get state() {
      return state;
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    signIn: vi.fn(async () => ({ accessToken: ACCESS_TOKEN })),
    cancelSignIn: vi.fn(),
    signOut: vi.fn(async () => ({})),
    getAccessToken: vi.fn(async () => ACCESS_TOKEN),
    getProfile: vi.fn(() => undefined),
    listAccounts: () => [],
    onAccountsChange: () => () => {},
    useAccount: vi.fn(async () => 'signed-in'),
    async fetchApi(path, init) {
      paths.push(path);
      modes.push(init?.stepUp);
      if (!steppedUp && init?.stepUp !== 'auto') {
        throw stepUpRequired({ acrValues: [ACR_OTP], maxAge: 300 });
      }
      if (!steppedUp) {
        // The library's stepUp: a sign-in in the browser, then the retry.
        setState('signing-in');
        await new Promise((resolve) => setTimeout(resolve, 5));
        steppedUp = true;
        setState('signed-in');
      }
      return Response.json({ message: SENSITIVE, access_token: ACCESS_TOKEN });
    },
  };
  return { auth, modes, paths };
}

describe('getSensitiveMessage', () => {
  it('without allowStepUp, answers ERR_STEP_UP_REQUIRED with a message and nothing of the challenge', async () => {
    const { auth, modes, paths } = stepUpAuth();
    const handlers = createBridgeHandlers(auth, { appOrigin: APP, log: () => {} });
    for (const args of [[], [{ allowStepUp: false }]]) {
      const result = await handlers[channel](PAGE, args);
      expect(result).toEqual({
        ok: false,
        error: {
          code: 'ERR_STEP_UP_REQUIRED',
          message: expect.stringMatching(/stronger or more recent sign-in/),
        },
      });
      // The acr values and the max age stay in the main process.
      expect(JSON.stringify(result)).not.toMatch(/urn:|acr|300|max_age/);
    }
    expect(paths).toEqual(['/private/sensitive', '/private/sensitive']);
    expect(modes).toEqual(['reject', 'reject']);
    expect(BRIDGE_ERROR_CODES).toContain('ERR_STEP_UP_REQUIRED');
  });

  it('with allowStepUp, lets the library step up, shows "signing-in" (not "restoring"), and answers only the message', async () => {
    const { auth, modes } = stepUpAuth();
    const handlers = createBridgeHandlers(auth, { appOrigin: APP, log: () => {} });
    const states: BridgeSessionState[] = [];
    handlers.onSessionState((state) => states.push(state));
    const result = await handlers[channel](PAGE, [{ allowStepUp: true }]);
    expect(result).toEqual({ ok: true, value: { message: SENSITIVE } });
    expect(JSON.stringify(result)).not.toContain(ACCESS_TOKEN);
    expect(modes).toEqual(['auto']);
    expect(states).toEqual(['signing-in', 'signed-in']);
  });

  it('takes a path of its own', async () => {
    const { auth, paths } = stepUpAuth();
    const handlers = createBridgeHandlers(auth, {
      appOrigin: APP,
      log: () => {},
      sensitiveMessagePath: '/private/other',
    });
    await handlers[channel](PAGE, [{ allowStepUp: true }]);
    expect(paths).toEqual(['/private/other']);
  });

  it.each([
    ['another origin', 'https://evil.example/'],
    ['a file: page', 'file:///home/user/app/index.html'],
  ])('refuses a step-up from %s before anything runs', async (_what, sender) => {
    const { auth, paths } = stepUpAuth();
    const handlers = createBridgeHandlers(auth, { appOrigin: APP, log: () => {} });
    const result = await handlers[channel](sender, [{ allowStepUp: true }]);
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_SENDER_REFUSED' } });
    expect(paths).toEqual([]);
  });

  it('refuses arguments it does not take before anything runs', async () => {
    const { auth, paths } = stepUpAuth();
    const handlers = createBridgeHandlers(auth, { appOrigin: APP, log: () => {} });
    const result = await handlers[channel](PAGE, [{ allowStepUp: 'true' }]);
    expect(result).toMatchObject({ ok: false, error: { code: 'ERR_INVALID_ARGUMENTS' } });
    expect(paths).toEqual([]);
  });
});

describe('sensitiveMessageArguments', () => {
  it.each([
    [[]],
    [[{ allowStepUp: true }]],
    [[{ allowStepUp: false }]],
    [[Object.assign(Object.create(null), { allowStepUp: true })]],
  ])('accepts %j', (args) => {
    expect(sensitiveMessageArguments(args)).toBe(true);
  });

  class Options {
    allowStepUp = true;
  }
  const withGetter = Object.defineProperty({}, 'allowStepUp', { get: () => true, enumerable: true });
  it.each([
    ['an empty object', [{}]],
    ['a string flag', [{ allowStepUp: 'true' }]],
    ['another key beside it', [{ allowStepUp: true, path: '/private' }]],
    ['a symbol key beside it', [{ allowStepUp: true, [Symbol('x')]: 1 }]],
    ['a second argument', [{ allowStepUp: true }, 1]],
    ['an inherited flag', [Object.create({ allowStepUp: true })]],
    ['a class instance', [new Options()]],
    ['a getter', [withGetter]],
    ['an array', [[true]]],
    ['null', [null]],
    ['undefined', [undefined]],
    ['not a list', 'allowStepUp'],
  ])('refuses %s', (_name, args) => {
    expect(sensitiveMessageArguments(args)).toBe(false);
  });
});
