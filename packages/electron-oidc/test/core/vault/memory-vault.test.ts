import { describe, expect, it } from 'vitest';
import { MemoryVault } from '../../../src/core/vault/memory-vault.ts';

describe('MemoryVault', () => {
  it('says it does not survive a restart', () => {
    const v = new MemoryVault();
    expect(v.kind).toBe('memory');
    expect(v.persistent).toBe(false);
  });

  it('reads undefined when nothing is stored, then the last value written, then nothing after clear', async () => {
    const v = new MemoryVault();
    await expect(v.read()).resolves.toBeUndefined();
    await v.write('one');
    await v.write('two');
    await expect(v.read()).resolves.toBe('two');
    await v.clear();
    await expect(v.read()).resolves.toBeUndefined();
    await expect(v.clear()).resolves.toBeUndefined();
  });

  it('is not shared between instances', async () => {
    await new MemoryVault().write('mine');
    await expect(new MemoryVault().read()).resolves.toBeUndefined();
  });
});
