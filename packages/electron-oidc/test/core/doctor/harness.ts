import { afterEach } from 'vitest';
import { defineConfig } from '../../../src/core/config.ts';
import type { AuthConfigInput } from '../../../src/core/config.ts';
import { diagnoseProvider } from '../../../src/core/doctor/index.ts';
import type { CheckId, DoctorCheck, DoctorReport } from '../../../src/core/doctor/index.ts';
import { startFakeProvider } from './fake-provider.ts';
import type { FakeProvider, FakeProviderCase } from './fake-provider.ts';

/** Runs doctor against one fake provider per test, closed after it. */
export function useFakeProvider(): {
  diagnose: (fake: FakeProviderCase, input?: AuthConfigInput) => Promise<DoctorReport>;
  provider: () => FakeProvider;
} {
  let provider: FakeProvider | undefined;
  afterEach(async () => {
    await provider?.close();
    provider = undefined;
  });
  return {
    async diagnose(fake, input = {}) {
      provider = await startFakeProvider(fake);
      return diagnoseProvider(
        defineConfig({
          issuer: provider.issuer,
          clientId: 'desktop-app',
          apiAudience: 'https://api.example.com',
          ...input,
        }),
        { timeoutMs: 5000 },
      );
    },
    provider() {
      if (provider === undefined) throw new Error('no fake provider is running');
      return provider;
    },
  };
}

export function find(report: DoctorReport, id: CheckId): DoctorCheck {
  const found = report.checks.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no "${id}" check in ${JSON.stringify(report.checks, null, 2)}`);
  return found;
}

export function failures(report: DoctorReport): CheckId[] {
  return report.checks.filter((c) => c.verdict === 'fail').map((c) => c.id);
}
