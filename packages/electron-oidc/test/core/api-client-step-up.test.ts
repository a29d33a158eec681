import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { closeServer, listenOnLoopback } from '@electron-oidc/test-support';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiFetch } from '../../src/core/api-client.ts';
import { defineConfig } from '../../src/core/config.ts';
import type { StepUpRequirement } from '../../src/core/step-up.ts';

const CHALLENGE =
  'Bearer realm="api", error="insufficient_user_authentication", error_description="Sign in again", acr_values="urn:otp", max_age="300"';

let server: Server;
let baseUrl: string;
/** How many requests the API refuses with the step-up challenge before it answers. */
let refusals: number;
let requests: number;

beforeEach(async () => {
  requests = 0;
  server = createServer((req, res) => {
    requests++;
    req.resume();
    if (refusals-- > 0) res.writeHead(401, { 'www-authenticate': CHALLENGE }).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"message":"sensitive"}');
  });
  baseUrl = (await listenOnLoopback(server)).origin;
});
afterEach(() => closeServer(server));

function setup() {
  const stepUp = vi.fn(async (_requirement: StepUpRequirement, _signal: AbortSignal | undefined) => {});
  const fetchApi = createApiFetch({
    config: defineConfig({ apiAudience: baseUrl }),
    getAccessCredential: async () => ({ accessToken: 'token', dpopKey: undefined }),
    stepUp,
  });
  return { fetchApi, stepUp };
}

describe('fetchApi and a step-up challenge (RFC 9470 §3)', () => {
  it('rejects with ERR_STEP_UP_REQUIRED carrying acr_values and max_age, and opens nothing, by default', async () => {
    refusals = 1;
    const { fetchApi, stepUp } = setup();
    await expect(fetchApi('/private/sensitive')).rejects.toMatchObject({
      code: 'ERR_STEP_UP_REQUIRED',
      stepUp: { acrValues: ['urn:otp'], maxAge: 300 },
    });
    expect(stepUp).not.toHaveBeenCalled();
    expect(requests).toBe(1);
  });

  it("with stepUp: 'auto', signs in again with the requirement and retries once", async () => {
    refusals = 1;
    const { fetchApi, stepUp } = setup();
    const controller = new AbortController();
    const response = await fetchApi('/private/sensitive', { stepUp: 'auto', signal: controller.signal });
    expect(await response.json()).toEqual({ message: 'sensitive' });
    expect(stepUp).toHaveBeenCalledTimes(1);
    expect(stepUp).toHaveBeenCalledWith({ acrValues: ['urn:otp'], maxAge: 300 }, controller.signal);
    expect(requests).toBe(2);
  });

  it('retries once only: a second challenge rejects, without a second sign-in', async () => {
    refusals = 5;
    const { fetchApi, stepUp } = setup();
    await expect(fetchApi('/private/sensitive', { stepUp: 'auto' })).rejects.toMatchObject({
      code: 'ERR_STEP_UP_REQUIRED',
    });
    expect(stepUp).toHaveBeenCalledTimes(1);
    expect(requests).toBe(2);
  });

  it('a sign-in that fails (cancelled) is the answer, with no retry', async () => {
    refusals = 1;
    const { fetchApi, stepUp } = setup();
    stepUp.mockRejectedValueOnce(Object.assign(new Error('cancelled'), { code: 'ERR_SIGN_IN_CANCELLED' }));
    await expect(fetchApi('/private/sensitive', { stepUp: 'auto' })).rejects.toMatchObject({
      code: 'ERR_SIGN_IN_CANCELLED',
    });
    expect(requests).toBe(1);
  });

  it('a streamed body cannot be sent twice: it rejects rather than signing in', async () => {
    refusals = 1;
    const { fetchApi, stepUp } = setup();
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('x'));
        controller.close();
      },
    });
    await expect(
      fetchApi('/private/sensitive', { method: 'POST', body, duplex: 'half', stepUp: 'auto' } as RequestInit),
    ).rejects.toMatchObject({ code: 'ERR_STEP_UP_REQUIRED' });
    expect(stepUp).not.toHaveBeenCalled();
  });
});
