import { describe, expect, it } from 'vitest';
import { AuthError } from '../../../src/core/errors.ts';
import { MemoryVault } from '../../../src/core/vault/memory-vault.ts';
import { deferredVault } from '../../../src/core/vault/open-vault.ts';

describe('deferredVault', () => {
  it('is the vault the opening resolves to, once it has resolved', async () => {
    const real = new MemoryVault();
    await real.write('stored before');
    const vault = deferredVault(Promise.resolve(real));
    expect(await vault.read()).toBe('stored before');
    await vault.write('written through');
    expect(await real.read()).toBe('written through');
    await vault.clear();
    expect(await real.read()).toBeUndefined();
    expect(vault.kind).toBe('memory');
    expect(vault.persistent).toBe(false);
  });

  it("exclusive is the opened vault's own, or the work run directly where it has none", async () => {
    const trace: string[] = [];
    const shared = Object.assign(new MemoryVault(), {
      exclusive: async <T>(work: () => Promise<T>): Promise<T> => {
        trace.push('exclusive');
        return work();
      },
    });
    expect(await deferredVault(Promise.resolve(shared)).exclusive!(async () => 'ran')).toBe('ran');
    expect(trace).toEqual(['exclusive']);
    expect(await deferredVault(Promise.resolve(new MemoryVault())).exclusive!(async () => 'ran')).toBe('ran');
  });

  it('fails every operation with the opening error, never as an unhandled rejection', async () => {
    const refused = new AuthError('ERR_VAULT_UNAVAILABLE', 'No OS keychain answered.');
    const vault = deferredVault(Promise.reject(refused));
    await expect(vault.read()).rejects.toBe(refused);
    await expect(vault.write('x')).rejects.toBe(refused);
    await expect(vault.clear()).rejects.toBe(refused);
    await expect(vault.exclusive!(async () => 'never')).rejects.toBe(refused);
  });
});
