import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../../src/core/errors.ts';
import { startLoopbackListener } from '../../../src/core/sign-in/loopback-listener.ts';
import type { LoopbackListener, LoopbackRequest } from '../../../src/core/sign-in/loopback-listener.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so method and Host can be anything an attacker sends. */
function send(port: number, path: string, options: { method?: string; host?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? `127.0.0.1:${port}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const STATE = 'expected-state-value';

/** The genuine callback, sent now, is the one `next` resolves with, and its browser gets a 200. */
async function expectRealCallbackAccepted(
  listener: LoopbackListener,
  next: Promise<LoopbackRequest>,
): Promise<void> {
  const real = send(listener.port, `/callback?code=real-code&state=${STATE}`);
  const accepted = await next;
  expect(accepted.url.searchParams.get('code')).toBe('real-code');
  accepted.respond({ ok: true, title: 'Signed in', message: 'Done' });
  expect((await real).status).toBe(200);
}
let listener: LoopbackListener | undefined;
let blocker: Server | undefined;

afterEach(async () => {
  await listener?.close();
  listener = undefined;
  if (blocker !== undefined) await new Promise<void>((resolve) => blocker!.close(() => resolve()));
  blocker = undefined;
});

describe('loopback listener', () => {
  it('binds 127.0.0.1 on an ephemeral port and builds the redirect URI from it', async () => {
    listener = await startLoopbackListener({ path: '/callback', expectedState: STATE });
    expect(listener.port).toBeGreaterThan(0);
    expect(listener.redirectUri).toBe(`http://127.0.0.1:${listener.port}/callback`);
    // Not reachable on another address of this machine's loopback range.
    await expect(
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.2', port: listener!.port, path: '/callback' }, resolve);
        req.on('error', reject);
        req.end();
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a configured port that is taken is ERR_REDIRECT_PORT_IN_USE naming the port and the option', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const err = await startLoopbackListener({ path: '/callback', port, expectedState: STATE }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 'ERR_REDIRECT_PORT_IN_USE', option: 'redirectPort' });
    expect((err as AuthError).message).toContain(String(port));
    expect((err as AuthError).message).toContain('redirectPort');
  });

  it('a callback with a forged state is answered 400 and the listener keeps waiting for the real one', async () => {
    listener = await startLoopbackListener({ path: '/callback', expectedState: STATE });
    const forged = await send(listener.port, '/callback?code=attacker-code&state=forged');
    expect(forged.status).toBe(400);
    const missing = await send(listener.port, '/callback?code=attacker-code');
    expect(missing.status).toBe(400);
    await expectRealCallbackAccepted(listener, listener.nextRequest());
  });

  it('only the first matching callback is accepted; a replay of the same state is refused', async () => {
    listener = await startLoopbackListener({ path: '/callback', expectedState: STATE });
    const first = send(listener.port, `/callback?code=one&state=${STATE}`);
    const accepted = await listener.nextRequest();
    const replay = await send(listener.port, `/callback?code=two&state=${STATE}`);
    expect(replay.status).toBe(400);
    expect(accepted.url.searchParams.get('code')).toBe('one');
    accepted.respond({ ok: true, title: 'Signed in', message: 'Done' });
    await first;
  });

  it('answers only GET on the callback path; everything else is 404', async () => {
    listener = await startLoopbackListener({ path: '/callback', expectedState: STATE });
    expect((await send(listener.port, '/')).status).toBe(404);
    expect((await send(listener.port, '/favicon.ico')).status).toBe(404);
    expect((await send(listener.port, `/callback/../other?state=${STATE}`)).status).toBe(404);
    expect((await send(listener.port, `/callback?state=${STATE}`, { method: 'POST' })).status).toBe(404);
    expect((await send(listener.port, `/callback?state=${STATE}`, { method: 'HEAD' })).status).toBe(404);
  });

  it('refuses requests whose Host is not its own loopback literal (DNS rebinding)', async () => {
    listener = await startLoopbackListener({ path: '/callback', expectedState: STATE });
    const answer = await send(listener.port, `/callback?code=x&state=${STATE}`, {
      host: `evil.example:${listener.port}`,
    });
    expect(answer.status).toBe(404);
  });

  it('answers with a self-contained page under a strict Content-Security-Policy, escaping text', async () => {
    listener = await startLoopbackListener({ path: '/callback', expectedState: STATE });
    const pending = send(listener.port, `/callback?state=${STATE}`);
    (await listener.nextRequest()).respond({
      ok: false,
      title: 'Failed',
      message: '<script>alert(1)</script>',
    });
    const answer = await pending;
    expect(answer.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
    expect(answer.body).not.toContain('<script>');
    expect(answer.body).toContain('&lt;script&gt;');
    expect(answer.body).not.toMatch(/(src|href)=/);
  });

  it('closes after success: the port no longer accepts connections', async () => {
    listener = await startLoopbackListener({ path: '/callback', expectedState: STATE });
    const port = listener.port;
    const pending = send(port, `/callback?state=${STATE}`);
    (await listener.nextRequest()).respond({ ok: true, title: 'Signed in', message: 'Done' });
    await pending;
    await listener.close();
    await expect(send(port, `/callback?state=${STATE}`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('cancel (abort) closes the listener and rejects the wait with the abort reason', async () => {
    const controller = new AbortController();
    listener = await startLoopbackListener({
      path: '/callback',
      expectedState: STATE,
      signal: controller.signal,
    });
    const port = listener.port;
    const waiting = listener.nextRequest();
    const reason = new AuthError('ERR_SIGN_IN_TIMEOUT', 'timed out');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await listener.close();
    await expect(send(port, `/callback?state=${STATE}`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('an already aborted signal starts nothing', async () => {
    await expect(
      startLoopbackListener({
        path: '/callback',
        expectedState: STATE,
        signal: AbortSignal.abort(new Error('stop')),
      }),
    ).rejects.toThrow('stop');
  });
});

describe('loopback listener: only the app’s own OS user', () => {
  it('a callback with the right state from another user’s program is 403, says nothing, and the sign-in keeps waiting', async () => {
    let own = false;
    const asked: Array<number | undefined> = [];
    listener = await startLoopbackListener({
      path: '/callback',
      expectedState: STATE,
      peerIsOwnUser: async (ends) => {
        asked.push(ends.remotePort);
        return own;
      },
    });
    let settled = false;
    const next = listener.nextRequest().then((r) => ((settled = true), r));
    const forged = await send(listener.port, `/callback?code=attacker-code&state=${STATE}`);
    expect(forged.status).toBe(403);
    expect(forged.body).not.toContain('attacker-code');
    expect(forged.body).not.toMatch(/uid|\/proc/);
    expect(forged.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(asked).toHaveLength(1);
    expect(asked[0]).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);

    own = true;
    await expectRealCallbackAccepted(listener, next);
  });

  it('a wrong state is 400 without asking who sent it', async () => {
    let asked = 0;
    listener = await startLoopbackListener({
      path: '/callback',
      expectedState: STATE,
      peerIsOwnUser: async () => (asked++, false),
    });
    expect((await send(listener.port, '/callback?code=x&state=wrong')).status).toBe(400);
    expect((await send(listener.port, '/elsewhere')).status).toBe(404);
    expect(asked).toBe(0);
  });

  it('by default (the real check) accepts this process’s own connection', async () => {
    listener = await startLoopbackListener({ path: '/callback', expectedState: STATE });
    const pending = send(listener.port, `/callback?code=c&state=${STATE}`);
    (await listener.nextRequest()).respond({ ok: true, title: 'Signed in', message: 'Done' });
    expect((await pending).status).toBe(200);
  });
});

describe('loopback listener: the one-shot page', () => {
  const page = (ttlMs = 5_000) => ({
    path: '/end-session/secret-segment',
    ttlMs,
    render: (redirectUri: string) => ({
      body: `<p>back to ${redirectUri}</p>`,
      headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
    }),
  });

  it('is served once, to the own user only, with the redirect URI; then 410', async () => {
    let own = false;
    listener = await startLoopbackListener({
      path: '/logout',
      expectedState: STATE,
      oneShotPage: page(),
      peerIsOwnUser: async () => own,
    });
    expect(listener.pageUrl).toBe(`http://127.0.0.1:${listener.port}/end-session/secret-segment`);
    const foreign = await send(listener.port, '/end-session/secret-segment');
    expect(foreign.status).toBe(403);
    expect(foreign.body).not.toContain('back to');
    own = true;
    const first = await send(listener.port, '/end-session/secret-segment');
    expect(first.status).toBe(200);
    expect(first.body).toBe(`<p>back to ${listener.redirectUri}</p>`);
    expect(first.headers['cache-control']).toBe('no-store');
    const second = await send(listener.port, '/end-session/secret-segment');
    expect(second.status).toBe(410);
    expect(second.body).not.toContain('back to');
    expect((await send(listener.port, '/end-session/secret-segment', { method: 'POST' })).status).toBe(404);
  });

  it('expires: after its time it is 410 even if never served', async () => {
    listener = await startLoopbackListener({
      path: '/logout',
      expectedState: STATE,
      oneShotPage: page(0),
      peerIsOwnUser: async () => true,
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await send(listener.port, '/end-session/secret-segment')).status).toBe(410);
  });
});

describe('loopback listener: abort while listen() is pending', () => {
  it('rejects with the abort reason and closes instead of hanging', async () => {
    const controller = new AbortController();
    const starting = startLoopbackListener({
      path: '/callback',
      expectedState: STATE,
      signal: controller.signal,
    });
    const reason = new AuthError('ERR_SIGN_IN_CANCELLED', 'cancelled while starting');
    controller.abort(reason);
    await expect(starting).rejects.toBe(reason);
  });
});
