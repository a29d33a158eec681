import { afterEach, describe, expect, it } from 'vitest';
import { KeyringVault, keychainAccount } from '../../../src/core/vault/keyring-vault.ts';
import { keychainSkipReason, testService } from './keychain-session.ts';

describe.skipIf(keychainSkipReason)('KeyringVault against the real OS keychain', () => {
  const created: KeyringVault[] = [];
  function vault(
    service: string,
    account = keychainAccount('https://id.example.com', 'desktop'),
  ): KeyringVault {
    const v = new KeyringVault({ service, account });
    created.push(v);
    return v;
  }
  afterEach(async () => {
    await Promise.all(created.splice(0).map((v) => v.clear()));
  });

  it('is persistent and says it is the keychain', () => {
    const v = vault(testService());
    expect(v.kind).toBe('keychain');
    expect(v.persistent).toBe(true);
  });

  it('reads undefined when nothing is stored', async () => {
    await expect(vault(testService()).read()).resolves.toBeUndefined();
  });

  it('reads back what was written, the last write wins, and clear removes it', async () => {
    const v = vault(testService());
    await v.write('first');
    await expect(v.read()).resolves.toBe('first');
    await v.write('second');
    await expect(v.read()).resolves.toBe('second');
    await v.clear();
    await expect(v.read()).resolves.toBeUndefined();
  });

  it('clear succeeds when nothing is stored', async () => {
    const v = vault(testService());
    await expect(v.clear()).resolves.toBeUndefined();
    await v.write('x');
    await v.clear();
    await expect(v.clear()).resolves.toBeUndefined();
  });

  it('keeps accounts apart: one vault never sees another account’s value', async () => {
    const service = testService();
    const a = vault(service, keychainAccount('https://a.example.com', 'desktop'));
    const b = vault(service, keychainAccount('https://b.example.com', 'desktop'));
    await a.write('token-a');
    await expect(b.read()).resolves.toBeUndefined();
    await b.write('token-b');
    await expect(a.read()).resolves.toBe('token-a');
    await b.clear();
    await expect(a.read()).resolves.toBe('token-a');
  });

  it('keeps services apart', async () => {
    const a = vault(testService());
    const b = vault(testService());
    await a.write('token-a');
    await expect(b.read()).resolves.toBeUndefined();
  });

  it('a new instance reads what an earlier one wrote, as after a restart', async () => {
    const service = testService();
    await vault(service).write('survives');
    await expect(vault(service).read()).resolves.toBe('survives');
  });

  it('stores unicode and a ~4 KB value unchanged', async () => {
    const v = vault(testService());
    const unicode = 'Grüße 🔑 ключ 鍵 \u0000-free «»';
    await v.write(unicode);
    await expect(vault(v.service).read()).resolves.toBe(unicode);
    // Whole code points only: a lone surrogate is not text any keychain can store.
    const long = 'eyJhbGciOiJSUzI1NiJ9.' + 'aé🔑'.repeat(1_000);
    expect(Buffer.byteLength(long)).toBeGreaterThan(4_096);
    await v.write(long);
    await expect(vault(v.service).read()).resolves.toBe(long);
  });

  it('two instances for one entry clearing at once both succeed', async () => {
    const service = testService();
    await vault(service).write('x');
    await expect(Promise.all([vault(service).clear(), vault(service).clear()])).resolves.toBeDefined();
    await expect(vault(service).read()).resolves.toBeUndefined();
  });

  it('runs operations on one entry in call order, across instances: the last call wins', async () => {
    const service = testService();
    const v = vault(service);
    const w = vault(service);
    await Promise.all([v.write('a'), w.write('b'), v.clear(), w.write('c'), v.clear(), w.write('last')]);
    await expect(vault(service).read()).resolves.toBe('last');
  });

  describe('entry', () => {
    function child(parent: KeyringVault, name: string): KeyringVault {
      const v = parent.entry(name);
      created.push(v);
      return v;
    }

    it('is one keychain item per name: a new instance of the same name reads it', async () => {
      const service = testService();
      await child(vault(service), 'a').write('token-a');
      await expect(child(vault(service), 'a').read()).resolves.toBe('token-a');
      const account = `${keychainAccount('https://id.example.com', 'desktop')} #a`;
      await expect(vault(service, account).read()).resolves.toBe('token-a');
      await expect(child(child(vault(service), 'a'), 'b').read()).resolves.toBeUndefined();
    });

    it('keeps entries independent: clearing one leaves its siblings and the root, and the root clear leaves them', async () => {
      const root = vault(testService());
      const [a, b] = [child(root, 'a'), child(root, 'b')];
      await root.write('index');
      await a.write('token-a');
      await b.write('token-b');
      await a.clear();
      await expect(a.read()).resolves.toBeUndefined();
      await expect(b.read()).resolves.toBe('token-b');
      await expect(root.read()).resolves.toBe('index');
      await root.clear();
      await expect(b.read()).resolves.toBe('token-b');
    });
  });
});
