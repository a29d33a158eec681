import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startIdp } from '@electron-oidc/dev-idp';
import type { RunningIdp } from '@electron-oidc/dev-idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { closedPort } from '../core/doctor/fake-provider.ts';
import { captureWriter, spawnCli } from '@electron-oidc/test-support/cli';

let idp: RunningIdp;
let dataDir: string;
let cwd: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'electron-oidc-doctor-idp-'));
  cwd = await mkdtemp(path.join(tmpdir(), 'electron-oidc-doctor-cwd-'));
  idp = await startIdp({ port: 0, dataDir, env: {} });
});
afterAll(async () => {
  await idp.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(cwd, { recursive: true, force: true });
});

/** Runs `doctor` in-process; it must need neither a keychain nor a browser. */
async function doctor(env: Record<string, string>) {
  const stdout = captureWriter();
  const stderr = captureWriter();
  const code = await runCli({
    argv: ['doctor'],
    env,
    cwd,
    stdout,
    stderr,
    openVault: () => {
      throw new Error('doctor must not open the keychain');
    },
    openBrowser: () => {
      throw new Error('doctor must not open a browser');
    },
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const checkLines = (text: string) => text.split('\n').filter((l) => /^(ok|warn|FAIL) /.test(l));

describe('electron-oidc doctor', () => {
  it('exits 0 against the local provider, every line ok', async () => {
    const r = await doctor({ OIDC_ISSUER: idp.issuer, OIDC_API_AUDIENCE: idp.apiResource });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = checkLines(r.stdout);
    expect(lines.length).toBeGreaterThanOrEqual(14);
    for (const line of lines) expect(line).toMatch(/^ok {4}/);
    expect(r.stdout).toMatch(
      /14 ok, 0 warnings, 0 failures: the app can sign in with this provider as configured\.\n$/,
    );
  });

  it('exits 1 with a wrong client id, the refused authorization request explained', async () => {
    const r = await doctor({ OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: 'not-registered' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}authorization-request .*does not know client "not-registered"/m);
    expect(r.stderr).toBe(
      'electron-oidc: The app cannot sign in with this provider as configured: fix the FAIL lines above.\n',
    );
  });

  it('exits 1 with one line naming the URL when the provider is down', async () => {
    const port = await closedPort();
    const r = await doctor({ OIDC_ISSUER: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expect(checkLines(r.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^FAIL {2}discovery {2}http://127\\.0\\.0\\.1:${port}/\\.well-known/openid-configuration cannot be reached: connection refused`,
        ),
      ),
    ]);
  });

  it('is listed in the help', async () => {
    const stdout = captureWriter();
    await runCli({ argv: ['--help'], env: {}, cwd, stdout, stderr: captureWriter() });
    expect(stdout.text()).toMatch(/^ {2}doctor +Check that the provider/m);
  });

  it('runs as a process: node src/cli/main.ts doctor', async () => {
    const { result } = spawnCli(['doctor'], { OIDC_ISSUER: idp.issuer }, cwd);
    const r = await result;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0 failures');
  });
});
