import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthError } from '../../../src/core/errors.ts';

// A fake `@napi-rs/keyring` to check how this module maps the package's
// failures; the real keychain is exercised in keyring-vault.test.ts.
const fake = vi.hoisted(() => ({
  constructed: [] as { service: string; account: string; options: unknown }[],
  construct: (): void => undefined,
  getPassword: (): Promise<string | null> => Promise.resolve(null),
  setPassword: (): Promise<void> => Promise.resolve(),
  deletePassword: (): Promise<boolean> => Promise.resolve(false),
}));

vi.mock('@napi-rs/keyring', () => ({
  AsyncEntry: class {
    constructor(service: string, account: string, options: unknown) {
      fake.construct();
      fake.constructed.push({ service, account, options });
    }
    getPassword(): Promise<string | null> {
      return fake.getPassword();
    }
    setPassword(): Promise<void> {
      return fake.setPassword();
    }
    deletePassword(): Promise<boolean> {
      return fake.deletePassword();
    }
  },
}));

const { KeyringVault, DEFAULT_KEYCHAIN_SERVICE } = await import('../../../src/core/vault/keyring-vault.ts');

// What @napi-rs/keyring 2.1 throws when the D-Bus session is unreachable (observed).
function platformFailure(): Error {
  return Object.assign(new Error('Platform failure: DBus error: Failed to connect to socket /nonexistent'), {
    code: 'GenericFailure',
  });
}

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

beforeEach(() => {
  fake.constructed.length = 0;
  fake.construct = () => undefined;
  fake.getPassword = () => Promise.resolve(null);
  fake.setPassword = () => Promise.resolve();
  fake.deletePassword = () => Promise.resolve(false);
});

describe('KeyringVault (unit, fake keyring)', () => {
  it('uses the default service and pins Linux to the Secret Service, never the kernel keyring', async () => {
    await new KeyringVault({ account: 'acct' }).read();
    expect(fake.constructed).toEqual([
      { service: DEFAULT_KEYCHAIN_SERVICE, account: 'acct', options: { linux: { store: 'secret-service' } } },
    ]);
  });

  it('maps "no entry" (null) to undefined and a clear of nothing (false) to success', async () => {
    const v = new KeyringVault({ account: 'acct' });
    await expect(v.read()).resolves.toBeUndefined();
    await expect(v.clear()).resolves.toBeUndefined();
  });

  it('reports a keychain that cannot be reached as ERR_VAULT_UNAVAILABLE with the cause and what to do', async () => {
    const cause = platformFailure();
    fake.construct = () => {
      throw cause;
    };
    const error = await rejection(new KeyringVault({ account: 'acct' }).read());
    expect(error.code).toBe('ERR_VAULT_UNAVAILABLE');
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('Could not read the saved sign-in from the OS keychain');
    expect(error.message).toContain(cause.message);
    if (process.platform === 'linux') expect(error.message).toContain('gnome-keyring or KWallet');
  });

  it.each([
    ['read', (v: InstanceType<typeof KeyringVault>) => v.read(), 'getPassword'],
    ['write', (v: InstanceType<typeof KeyringVault>) => v.write('t'), 'setPassword'],
    ['clear', (v: InstanceType<typeof KeyringVault>) => v.clear(), 'deletePassword'],
  ] as const)('reports a failed %s as ERR_VAULT_UNAVAILABLE', async (_, act, method) => {
    const cause = new Error("Couldn't access platform storage: Secret Service: no result found");
    Object.assign(fake, { [method]: () => Promise.reject(cause) });
    const error = await rejection(act(new KeyringVault({ account: 'acct' })));
    expect(error.code).toBe('ERR_VAULT_UNAVAILABLE');
    expect(error.cause).toBe(cause);
  });

  it('gives up on a keychain that never answers after timeoutMs', async () => {
    fake.getPassword = () => new Promise(() => undefined);
    const started = Date.now();
    const error = await rejection(new KeyringVault({ account: 'acct', timeoutMs: 50 }).read());
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.code).toBe('ERR_VAULT_UNAVAILABLE');
    expect(error.message).toContain('did not answer within 50 ms');
  });

  it('keeps working after a timed-out call: later calls are not stuck behind it', async () => {
    fake.getPassword = () => new Promise(() => undefined);
    const v = new KeyringVault({ account: 'acct', timeoutMs: 50 });
    await rejection(v.read());
    fake.getPassword = () => Promise.resolve('back');
    await expect(v.read()).resolves.toBe('back');
  });

  it('opens the entry once, and again only after a failure (e.g. a restarted keychain daemon)', async () => {
    const v = new KeyringVault({ account: 'acct' });
    await v.read();
    await v.read();
    expect(fake.constructed).toHaveLength(1);
    fake.getPassword = () => Promise.reject(platformFailure());
    await rejection(v.read());
    fake.getPassword = () => Promise.resolve('ok');
    await expect(v.read()).resolves.toBe('ok');
    expect(fake.constructed).toHaveLength(2);
  });

  it.each([
    [{ account: '' }, '`account`'],
    [{ account: 'a', service: '' }, '`service`'],
    [{ account: 'a', timeoutMs: 0 }, '`timeoutMs`'],
  ])('rejects a wrong option with ERR_CONFIG naming it: %o', (options, name) => {
    expect(() => new KeyringVault(options)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => new KeyringVault(options)).toThrow(name);
  });

  it('entry(name) is the item `<account> #<name>` of the same service, with the same timeout', async () => {
    const child = new KeyringVault({ service: 'svc', account: 'acct', timeoutMs: 50 }).entry('a-1_B');
    expect([child.service, child.account]).toEqual(['svc', 'acct #a-1_B']);
    expect(child.entry('c').account).toBe('acct #a-1_B #c');
    fake.getPassword = () => new Promise(() => undefined);
    const error = await rejection(child.read());
    expect(error.message).toContain('did not answer within 50 ms');
    expect(fake.constructed.map(({ service, account }) => [service, account])).toEqual([
      ['svc', 'acct #a-1_B'],
    ]);
  });

  it.each([
    ['', /is empty/],
    ['a b', /may hold only/],
    ['a#b', /may hold only/],
    ['x'.repeat(65), /more than 64/],
  ])('entry refuses the name %j with ERR_CONFIG naming the problem', (name, problem) => {
    const v = new KeyringVault({ account: 'acct' });
    expect(() => v.entry(name)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => v.entry(name)).toThrow(problem);
  });
});
