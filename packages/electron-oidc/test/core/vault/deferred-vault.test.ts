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

  describe('entry', () => {
    it("waits for the opening, then is the opened vault's entry of that name", async () => {
      let open!: (vault: MemoryVault) => void;
      const vault = deferredVault(new Promise<MemoryVault>((resolve) => (open = resolve)));
      const a = vault.entry!('a');
      const writing = a.write('token-a');
      const reading = a.entry!('b').read();
      const real = new MemoryVault();
      open(real);
      await writing;
      await expect(reading).resolves.toBeUndefined();
      await expect(real.entry('a').read()).resolves.toBe('token-a');
      await expect(real.read()).resolves.toBeUndefined();
      expect(a.kind).toBe('memory');
    });

    it("exclusive of an entry is the opened entry's own", async () => {
      const trace: string[] = [];
      const real = new MemoryVault();
      const child = Object.assign(new MemoryVault(), {
        exclusive: async <T>(work: () => Promise<T>): Promise<T> => {
          trace.push('child exclusive');
          return work();
        },
      });
      real.entry = (name) => (name === 'a' ? child : new MemoryVault());
      const a = deferredVault(Promise.resolve(real)).entry!('a');
      expect(await a.exclusive!(async () => 'ran')).toBe('ran');
      expect(trace).toEqual(['child exclusive']);
    });

    it("fails every operation of an entry with the opening's error", async () => {
      const refused = new AuthError('ERR_VAULT_UNAVAILABLE', 'No OS keychain answered.');
      const a = deferredVault(Promise.reject(refused)).entry!('a');
      await expect(a.read()).rejects.toBe(refused);
      await expect(a.write('x')).rejects.toBe(refused);
      await expect(a.clear()).rejects.toBe(refused);
      await expect(a.exclusive!(async () => 'never')).rejects.toBe(refused);
    });

    it('fails with ERR_VAULT_UNAVAILABLE where the opened vault keeps one entry', async () => {
      const single = {
        kind: 'custom',
        persistent: true,
        read: async () => 'x',
        write: async () => {},
        clear: async () => {},
      };
      const a = deferredVault(Promise.resolve(single)).entry!('a');
      await expect(a.read()).rejects.toMatchObject({
        code: 'ERR_VAULT_UNAVAILABLE',
        message: expect.stringMatching(/one entry/),
      });
    });

    it('refuses a bad name at once with ERR_CONFIG', () => {
      const vault = deferredVault(new Promise<MemoryVault>(() => {}));
      expect(() => vault.entry!('a/b')).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    });
  });
});
