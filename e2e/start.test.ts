/**
 * `npm start` brings the local provider, the API and the desktop app up
 * together with no configuration beyond free ports, and Ctrl-C stops all cleanly.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort } from '@electron-oidc/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function electronBinaryInstalled(): boolean {
  const electronDir = path.join(root, 'node_modules/electron');
  const pathFile = path.join(electronDir, 'path.txt');
  return existsSync(pathFile) && existsSync(path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8')));
}

async function waitFor(url: string, child: { exitCode: number | null }): Promise<Response> {
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`npm start exited early (${child.exitCode}) before ${url} answered`);
    try {
      return await fetch(url);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'e2e-start-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

it('starts the provider, the API and the app (or says why the app cannot start), and Ctrl-C stops all with exit code 0', async () => {
  const idpPort = await freeLoopbackPort();
  const apiPort = await freeLoopbackPort();
  const issuer = `http://127.0.0.1:${idpPort}`;
  const child = spawn(process.execPath, ['scripts/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      IDP_PORT: String(idpPort),
      IDP_DATA_DIR: dataDir,
      IDP_API_RESOURCE: `http://127.0.0.1:${apiPort}`,
      ISSUER_URL: issuer,
      AUDIENCE: `http://127.0.0.1:${apiPort}`,
      PORT: String(apiPort),
      // No download attempt from a test; where the binary is missing, npm start must say so and go on.
      ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const discovery = await waitFor(`${issuer}/.well-known/openid-configuration`, child);
  expect(((await discovery.json()) as { issuer: string }).issuer).toBe(issuer);
  const health = await waitFor(`http://127.0.0.1:${apiPort}/healthz`, child);
  expect(health.status).toBe(200);
  expect(output).toContain('[idp]');
  expect(output).toContain('alice');
  if (!electronBinaryInstalled()) {
    await expect.poll(() => output).toContain("Electron's binary is missing");
    expect(output).toContain('The provider and the API keep running');
  }

  child.kill('SIGINT');
  expect(await exited).toBe(0);
  await expect(fetch(`${issuer}/.well-known/openid-configuration`)).rejects.toThrow();
  await expect(fetch(`http://127.0.0.1:${apiPort}/healthz`)).rejects.toThrow();
});
