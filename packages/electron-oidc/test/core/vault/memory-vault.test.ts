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

  describe('entry', () => {
    it('gives the same store for the same name, and children of children', async () => {
      const root = new MemoryVault();
      await root.entry('a').write('in a');
      expect(root.entry('a')).toBe(root.entry('a'));
      await expect(root.entry('a').read()).resolves.toBe('in a');
      await root.entry('a').entry('b').write('in a/b');
      await expect(root.entry('a').entry('b').read()).resolves.toBe('in a/b');
      await expect(root.entry('b').read()).resolves.toBeUndefined();
      await expect(root.read()).resolves.toBeUndefined();
      expect(root.entry('a').kind).toBe('memory');
    });

    it('keeps entries independent: clearing one leaves its siblings and the root', async () => {
      const root = new MemoryVault();
      await root.write('index');
      await root.entry('a').write('token-a');
      await root.entry('b').write('token-b');
      await root.entry('a').clear();
      await expect(root.entry('a').read()).resolves.toBeUndefined();
      await expect(root.entry('b').read()).resolves.toBe('token-b');
      await expect(root.read()).resolves.toBe('index');
      await root.clear();
      await expect(root.entry('b').read()).resolves.toBe('token-b');
    });

    it.each(['', 'a b', 'a/b', '../up', 'a.b', 'a#b', 'é', 'x'.repeat(65)])(
      'refuses the name %j with ERR_CONFIG',
      (name) => {
        expect(() => new MemoryVault().entry(name)).toThrow(
          expect.objectContaining({ code: 'ERR_CONFIG', message: expect.stringMatching(/entry name/) }),
        );
      },
    );

    it('takes base64url names of up to 64 characters', () => {
      expect(() => new MemoryVault().entry('Az09_-'.padEnd(64, 'x'))).not.toThrow();
    });
  });
});
