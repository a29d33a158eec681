import * as client from 'openid-client';
import { describe, expect, it, vi } from 'vitest';
import type { AuthConfig } from '../../../src/core/config.ts';
import { AuthError } from '../../../src/core/errors.ts';
import type { Logger } from '../../../src/core/logger.ts';
import type { LoopbackListener } from '../../../src/core/sign-in/loopback-listener.ts';

const hooks = vi.hoisted(() => ({ onStart: (): void => {}, closed: 0 }));

vi.mock('../../../src/core/sign-in/loopback-listener.ts', () => ({
  startLoopbackListener: async (): Promise<LoopbackListener> => {
    hooks.onStart();
    return {
      port: 1,
      redirectUri: 'http://127.0.0.1:1/callback',
      pageUrl: undefined,
      nextRequest: () => new Promise(() => {}),
      close: async () => {
        hooks.closed += 1;
      },
    };
  },
}));

const { performSignIn } = await import('../../../src/core/sign-in/sign-in.ts');

const config = {
  redirectPort: undefined,
  callbackPath: '/callback',
  signInTimeoutMs: 60_000,
  authorizationParams: {},
  scopes: ['openid'],
  sendResourceIndicator: false,
  apiAudience: 'api',
} as unknown as AuthConfig;
const provider = new client.Configuration(
  { issuer: 'https://idp.example/', authorization_endpoint: 'https://idp.example/auth' },
  'desktop-app',
);
const logger: Logger = { info() {}, warn() {}, error() {} };

describe('performSignIn', () => {
  it('sign-in cancelled while the listener starts does not open the browser', async () => {
    const controller = new AbortController();
    const reason = new AuthError('ERR_SIGN_IN_CANCELLED', 'cancelled');
    hooks.onStart = () => controller.abort(reason);
    // Rejecting ends the wait, so the test fails rather than hangs if the browser is opened.
    const openBrowser = vi.fn(async () => {
      throw new Error('browser opened');
    });
    await expect(
      performSignIn({ config, provider, logger, openBrowser, signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(openBrowser).not.toHaveBeenCalled();
    expect(hooks.closed).toBe(1);
  });
});
