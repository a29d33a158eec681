import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startIdp } from '@electron-oidc/dev-idp';
import type { RunningIdp } from '@electron-oidc/dev-idp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConfig } from '../../../src/core/config.ts';
import { diagnoseProvider } from '../../../src/core/doctor/index.ts';

let idp: RunningIdp;
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'electron-oidc-doctor-'));
  idp = await startIdp({ port: 0, dataDir, env: {} });
});
afterAll(async () => {
  await idp.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('doctor against the local provider (apps/dev-idp)', () => {
  it('passes with the default client: every check ok', async () => {
    const report = await diagnoseProvider(
      defineConfig({ issuer: idp.issuer, clientId: idp.clientId, apiAudience: idp.apiResource }),
    );
    expect(report.checks.filter((c) => c.verdict !== 'ok')).toEqual([]);
    expect(report.checks.find((c) => c.id === 'authorization-request')?.message).toContain(
      'it would show its login page',
    );
    expect(report.passed).toBe(true);
  });

  it('fails a wrong client id: the authorization request is refused, and so is the token endpoint', async () => {
    const report = await diagnoseProvider(
      defineConfig({ issuer: idp.issuer, clientId: 'not-registered', apiAudience: idp.apiResource }),
    );
    expect(report.passed).toBe(false);
    const authorization = report.checks.find((c) => c.id === 'authorization-request');
    expect(authorization?.verdict).toBe('fail');
    expect(authorization?.message).toContain('HTTP 400, invalid_client');
    expect(authorization?.message).toContain('does not know client "not-registered"');
    expect(report.checks.find((c) => c.id === 'client-authentication')?.verdict).toBe('fail');
  });

  it('fails an API identifier the provider does not know: invalid_target', async () => {
    const report = await diagnoseProvider(
      defineConfig({
        issuer: idp.issuer,
        clientId: idp.clientId,
        apiAudience: 'https://unknown.example.com',
      }),
    );
    const authorization = report.checks.find((c) => c.id === 'authorization-request');
    expect(authorization?.verdict).toBe('fail');
    expect(authorization?.message).toContain('invalid_target');
  });
});
