// `node src/main.ts` as a real process: start-up log, a request, a clean stop on SIGTERM.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer, TEST_AUDIENCE } from '@electron-oidc/test-support';
import { bearer, request } from './support/http.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let issuer: FakeIssuer;
let child: ChildProcess | undefined;
beforeEach(async () => {
  issuer = await FakeIssuer.start();
});
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  child = undefined;
  await issuer.close();
});

function run(env: Record<string, string>) {
  const proc = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const firstLine = new Promise<Record<string, unknown>>((resolve, reject) => {
    proc.stdout.on('data', () => {
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line !== undefined) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    proc.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  firstLine.catch(() => undefined); // awaited only by the tests that expect a start
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { proc, firstLine, exited, output: () => ({ stdout, stderr }) };
}

describe('node src/main.ts', () => {
  it('logs its URL, issuer and audience, serves requests, and stops cleanly on SIGTERM', async () => {
    const api = run({ ISSUER_URL: issuer.url, AUDIENCE: TEST_AUDIENCE, PORT: '0' });
    const started = await api.firstLine;
    expect(started).toMatchObject({
      level: 'info',
      message: 'API listening',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      issuer: issuer.url,
      audience: TEST_AUDIENCE,
    });

    const token = await issuer.sign();
    const res = await request(`${started.url as string}/private`, { headers: bearer(token) });
    expect(res.status).toBe(200);

    api.proc.kill('SIGTERM');
    const [code] = await api.exited;
    expect(code).toBe(0);
    const { stdout } = api.output();
    expect(stdout).toContain('"message":"API stopped"');
    expect(stdout).toContain('"path":"/private","status":200');
    expect(stdout).not.toContain(token.split('.')[2]);
  });

  it('writes every request line before it exits on SIGTERM, even with the pipe full', async () => {
    const api = run({ ISSUER_URL: issuer.url, AUDIENCE: TEST_AUDIENCE, PORT: '0' });
    const { url } = (await api.firstLine) as { url: string };
    // Nobody reads the pipe for a while: more lines than it holds (64 KiB) wait in the API.
    api.proc.stdout?.pause();
    const count = 1000;
    for (let sent = 0; sent < count; sent += 100) {
      await Promise.all(Array.from({ length: 100 }, () => request(`${url}/public`)));
    }
    api.proc.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    api.proc.stdout?.resume();
    const [code] = await api.exited;
    expect(code).toBe(0);
    const lines = api
      .output()
      .stdout.trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line.path === '/public')).toHaveLength(count);
    expect(lines.at(-1)).toMatchObject({ message: 'API stopped', signal: 'SIGTERM' });
  });

  it('exits with status 1 and names the variable when the configuration is invalid', async () => {
    const api = run({ ISSUER_URL: 'http://idp.example.com', PORT: 'x', LOG_LEVEL: 'loud' });
    const [code] = await api.exited;
    expect(code).toBe(1);
    const { stderr } = api.output();
    expect(stderr).toContain('ISSUER_URL: "http://idp.example.com" uses plain http on a non-loopback host');
    expect(stderr).toContain('PORT: "x" is not a port');
    expect(stderr).toContain('LOG_LEVEL: "loud" is not a level');
  });
});
