import { lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../../src/core/errors.ts';
import { keychainAccount } from '../../../src/core/vault/keyring-vault.ts';
import { MemoryVault } from '../../../src/core/vault/memory-vault.ts';
import { SEALED_MAGIC, sealSession } from '../../../src/core/vault/sealed-box.ts';
import { SealedFileVault, sealedVaultFiles } from '../../../src/core/vault/sealed-file-vault.ts';
import { createVaultKey, parseVaultKey } from '../../../src/core/vault/vault-key.ts';
import {
  WINDOWS_MAX_CHARS,
  WindowsSizedStore,
  recordingLogger,
  refreshTokenOf,
  sessionWith,
  temporaryFolders,
} from './doubles.ts';

const ACCOUNT = keychainAccount('https://id.example.com/', 'desktop');
const newFolder = temporaryFolders();

async function sealedVault(
  options: { folder?: string; account?: string; keyStore?: WindowsSizedStore } = {},
) {
  const folder = options.folder ?? (await newFolder());
  const account = options.account ?? ACCOUNT;
  const keyStore = options.keyStore ?? new WindowsSizedStore();
  const logger = recordingLogger();
  const file = sealedVaultFiles(folder, account).session;
  return { vault: new SealedFileVault({ file, keyStore, account, logger }), keyStore, logger, file, folder };
}

/** Reads and expects "signed out" with one warning that names the reason and holds no token. */
async function expectSignedOut(
  setup: Awaited<ReturnType<typeof sealedVault>>,
  reason: RegExp,
  token = 'rt.',
): Promise<void> {
  await expect(setup.vault.read()).resolves.toBeUndefined();
  expect(setup.logger.warnings).toHaveLength(1);
  expect(setup.logger.warnings[0]).toMatch(/signed out/);
  expect(setup.logger.warnings[0]).toMatch(reason);
  expect(setup.logger.warnings[0]).not.toContain(token);
}

describe('SealedFileVault: any size of session on a small keychain', () => {
  const session16k = sessionWith(refreshTokenOf(16 * 1024));

  it('the Windows-sized keychain double refuses a 16 KB session stored whole, as Credential Manager does', async () => {
    const plain = new WindowsSizedStore();
    expect(session16k.length).toBeGreaterThan(WINDOWS_MAX_CHARS);
    await expect(plain.write(session16k)).rejects.toMatchObject({ code: 'ERR_VAULT_UNAVAILABLE' });
    await expect(plain.write('x'.repeat(WINDOWS_MAX_CHARS))).resolves.toBeUndefined();
  });

  it('keeps a 16 KB session, with only a 46-character key in the keychain', async () => {
    const setup = await sealedVault();
    await setup.vault.write(session16k);
    expect(setup.keyStore.value).toMatch(/^k1:[A-Za-z0-9_-]{43}$/);
    await expect(setup.vault.read()).resolves.toBe(session16k);
    const again = await sealedVault({ folder: setup.folder, keyStore: setup.keyStore });
    await expect(again.vault.read()).resolves.toBe(session16k);
    expect(setup.logger.warnings).toEqual([]);
  });

  it('says what it is and that it survives a restart', async () => {
    const { vault } = await sealedVault();
    expect(vault.kind).toBe('keychain+file');
    expect(vault.persistent).toBe(true);
  });

  it('reads undefined, silently, when nothing is stored', async () => {
    const setup = await sealedVault();
    await expect(setup.vault.read()).resolves.toBeUndefined();
    expect(setup.logger.warnings).toEqual([]);
  });

  it('creates the key on the first write and keeps it for later writes', async () => {
    const setup = await sealedVault();
    await setup.vault.write('one');
    const key = setup.keyStore.value;
    await setup.vault.write('two');
    expect(setup.keyStore.value).toBe(key);
    await expect(setup.vault.read()).resolves.toBe('two');
  });

  it('clear removes the file and the key, and succeeds when either or both are missing', async () => {
    const setup = await sealedVault();
    await setup.vault.write('x');
    await setup.vault.clear();
    expect(setup.keyStore.value).toBeUndefined();
    await expect(lstat(setup.file)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(setup.vault.clear()).resolves.toBeUndefined();
    await setup.vault.write('y');
    setup.keyStore.value = undefined;
    await expect(setup.vault.clear()).resolves.toBeUndefined();
    await expect(setup.vault.read()).resolves.toBeUndefined();
  });

  it('clear with the keychain failing still removes the file (the session is gone), with a warning', async () => {
    const setup = await sealedVault();
    await setup.vault.write('x');
    setup.keyStore.failing.add('clear');
    await expect(setup.vault.clear()).resolves.toBeUndefined();
    await expect(lstat(setup.file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(setup.logger.warnings[0]).toMatch(/not every trace is gone/);
  });

  it('runs operations on one file in call order: the last call wins', async () => {
    const setup = await sealedVault();
    const other = new SealedFileVault({ file: setup.file, keyStore: setup.keyStore, account: ACCOUNT });
    const { vault } = setup;
    await Promise.all([
      vault.write('a'),
      other.write('b'),
      vault.clear(),
      other.write('c'),
      vault.write('last'),
    ]);
    await expect(other.read()).resolves.toBe('last');
  });
});

describe('SealedFileVault: when the keychain or the disk fails', () => {
  it('rejects with ERR_VAULT_UNAVAILABLE when the keychain cannot be read, as every vault does', async () => {
    const setup = await sealedVault();
    setup.keyStore.failing.add('read');
    await expect(setup.vault.read()).rejects.toMatchObject({ code: 'ERR_VAULT_UNAVAILABLE' });
    await expect(setup.vault.write('x')).rejects.toMatchObject({ code: 'ERR_VAULT_UNAVAILABLE' });
  });

  it('wraps a key store failure that is not an AuthError as ERR_VAULT_UNAVAILABLE with its cause', async () => {
    const setup = await sealedVault();
    const cause = new Error('bus gone');
    const keyStore = {
      kind: 'custom',
      persistent: true,
      read: () => Promise.reject(cause),
      write: async () => undefined,
      clear: async () => undefined,
    };
    const vault = new SealedFileVault({ file: setup.file, keyStore, account: ACCOUNT });
    const error = await vault.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'ERR_VAULT_UNAVAILABLE', cause });
  });

  it('a write that fails leaves nothing readable from a half-made key', async () => {
    const setup = await sealedVault();
    setup.keyStore.failing.add('write');
    await expect(setup.vault.write('x')).rejects.toMatchObject({ code: 'ERR_VAULT_UNAVAILABLE' });
    await expect(lstat(setup.file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each([
    [{ file: 'relative.session' }, '`file`'],
    [{ account: '' }, '`account`'],
  ])('rejects a wrong option with ERR_CONFIG naming it: %o', (wrong, name) => {
    const options = { file: '/tmp/x.session', keyStore: new WindowsSizedStore(), account: ACCOUNT, ...wrong };
    expect(() => new SealedFileVault(options)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => new SealedFileVault(options)).toThrow(name);
  });
});

describe('SealedFileVault: the file on disk', () => {
  it.skipIf(process.platform === 'win32')(
    'is owner-only (0600) in an owner-only folder (0700) it creates',
    async () => {
      const folder = path.join(await newFolder(), 'nested', 'data');
      const setup = await sealedVault({ folder });
      await setup.vault.write('x');
      expect((await stat(setup.file)).mode & 0o777).toBe(0o600);
      expect((await stat(folder)).mode & 0o777).toBe(0o700);
      expect((await stat(path.dirname(folder))).mode & 0o777).toBe(0o700);
    },
  );

  it('holds the format marker and no plaintext, and leaves no temporary file behind', async () => {
    const setup = await sealedVault();
    await setup.vault.write(sessionWith('rt.find-me'));
    const data = await readFile(setup.file);
    expect(data.subarray(0, 4)).toEqual(SEALED_MAGIC);
    expect(data.includes('rt.find-me')).toBe(false);
    expect(await readdir(setup.folder)).toEqual([path.basename(setup.file)]);
  });

  it('is named after the account, readably, and differs for every account', () => {
    const a = sealedVaultFiles('/data', keychainAccount('https://id.example.com/', 'desktop'));
    const b = sealedVaultFiles('/data', keychainAccount('https://id.example.com/', 'desktop2'));
    const c = sealedVaultFiles('/data', keychainAccount('https://id.example.com', 'desktop'));
    expect(a.session).toMatch(/^\/data\/https-id-example-com-desktop-[0-9a-f]{16}\.session$/);
    expect(a.key).toBe(a.session.replace(/\.session$/, '.key'));
    expect(new Set([a.session, b.session, c.session]).size).toBe(3);
    expect(sealedVaultFiles('/data', '../../../etc/passwd ☃').session).toMatch(
      /^\/data\/etc-passwd-[0-9a-f]{16}\.session$/,
    );
    expect(sealedVaultFiles('/data', '☃').session).toMatch(/^\/data\/[0-9a-f]{16}\.session$/);
  });
});

const token = 'rt.must-never-be-logged';

async function written() {
  const setup = await sealedVault();
  await setup.vault.write(sessionWith(token));
  return { ...setup, data: await readFile(setup.file) };
}

async function rewrite(setup: Awaited<ReturnType<typeof written>>, change: (data: Buffer) => Buffer) {
  await writeFile(setup.file, change(Buffer.from(setup.data)));
}

function flip(index: (data: Buffer) => number): (data: Buffer) => Buffer {
  return (data) => {
    const at = index(data);
    data[at] = (data[at] ?? 0) ^ 0x01;
    return data;
  };
}

describe('SealedFileVault: a damaged or foreign entry means "signed out", with the reason', () => {
  it('key without file (file deleted)', async () => {
    const setup = await written();
    await rm(setup.file);
    await expectSignedOut(setup, /file is missing/, token);
  });

  it.each([
    ['truncated to nothing', (d: Buffer) => d.subarray(0, 0), /truncated/],
    ['truncated inside the header', (d: Buffer) => d.subarray(0, 3), /truncated/],
    ['truncated by one byte', (d: Buffer) => d.subarray(0, d.length - 1), /failed authentication/],
    ['one bit flipped in the IV', flip(() => 5), /failed authentication/],
    ['one bit flipped in the ciphertext', flip(() => 40), /failed authentication/],
    ['one bit flipped in the tag', flip((d) => d.length - 1), /failed authentication/],
    ['another format version', (d: Buffer) => ((d[4] = 9), d), /format version/],
    [
      'not a sealed file but plaintext JSON',
      () => Buffer.from(sessionWith(token)),
      /not a sealed session file/,
    ],
    ['garbage', () => Buffer.from('\x00\xff garbage'), /not a sealed session file/],
  ])('%s', async (_, change, reason) => {
    const setup = await written();
    await rewrite(setup, change);
    await expectSignedOut(setup, reason, token);
  });

  it('a file sealed for another account, copied over this one (other associated data)', async () => {
    const setup = await written();
    const key = parseVaultKey(setup.keyStore.value);
    if (key === undefined) throw new Error('no key stored');
    await writeFile(
      setup.file,
      sealSession(sessionWith(token), key, keychainAccount('https://evil.example/', 'x')),
    );
    await expectSignedOut(setup, /another account/, token);
  });

  it('a file sealed with another key (the keychain key replaced)', async () => {
    const setup = await written();
    setup.keyStore.value = createVaultKey().stored;
    await expectSignedOut(setup, /another key/, token);
  });

  it('a file larger than any session, without reading it', async () => {
    const setup = await written();
    await writeFile(setup.file, Buffer.alloc(1024 * 1024 + 1));
    await expectSignedOut(setup, /too large/, token);
  });

  it.skipIf(process.platform === 'win32')('a symlink or a folder where the file should be', async () => {
    const setup = await written();
    const elsewhere = path.join(setup.folder, 'elsewhere');
    await writeFile(elsewhere, setup.data);
    await rm(setup.file);
    await symlink(elsewhere, setup.file);
    await expectSignedOut(setup, /not a regular file/, token);
    setup.logger.warnings.length = 0;
    await rm(setup.file);
    await mkdir(setup.file);
    await expectSignedOut(setup, /not a regular file/, token);
  });
});

describe('SealedFileVault: a key and a file that do not belong together mean "signed out"', () => {
  it('file without key: signed out, and the next write replaces the orphan file', async () => {
    const setup = await written();
    setup.keyStore.value = undefined;
    await expectSignedOut(setup, /key is not in the keychain/, token);
    await setup.vault.write('fresh');
    await expect(setup.vault.read()).resolves.toBe('fresh');
  });

  it('a keychain entry that is neither a key nor a session: signed out, replaced at the next write', async () => {
    const setup = await written();
    setup.keyStore.value = 'something else';
    await expectSignedOut(setup, /neither a vault key nor a saved session/, token);
    await setup.vault.write('fresh');
    expect(parseVaultKey(setup.keyStore.value)).toBeDefined();
    await expect(setup.vault.read()).resolves.toBe('fresh');
  });

  it('after any of these, a new sign-in is stored and read back normally', async () => {
    const setup = await written();
    await rewrite(
      setup,
      flip(() => 20),
    );
    await setup.vault.read();
    await setup.vault.write('fresh');
    await expect(setup.vault.read()).resolves.toBe('fresh');
  });
});

describe('SealedFileVault: migrating an entry stored whole in the keychain', () => {
  it('returns it, seals it into the file, and leaves only a key in the keychain', async () => {
    const setup = await sealedVault();
    const legacy = sessionWith('rt.stored-before-the-sealed-vault');
    setup.keyStore.value = legacy;
    await expect(setup.vault.read()).resolves.toBe(legacy);
    expect(setup.keyStore.value).toMatch(/^k1:/);
    expect((await readFile(setup.file)).includes('rt.stored')).toBe(false);
    await expect(setup.vault.read()).resolves.toBe(legacy);
    expect(setup.logger.warnings).toEqual([]);
  });

  it('when the keychain refuses the key, uses the entry as it is and tries again at the next read', async () => {
    const setup = await sealedVault();
    const legacy = sessionWith('rt.legacy');
    setup.keyStore.value = legacy;
    setup.keyStore.failing.add('write');
    await expect(setup.vault.read()).resolves.toBe(legacy);
    expect(setup.keyStore.value).toBe(legacy);
    expect(setup.logger.warnings[0]).toMatch(/Could not move the saved sign-in/);
    expect(setup.logger.warnings[0]).not.toContain('rt.legacy');
    setup.keyStore.failing.clear();
    await expect(setup.vault.read()).resolves.toBe(legacy);
    expect(setup.keyStore.value).toMatch(/^k1:/);
    await expect(setup.vault.read()).resolves.toBe(legacy);
  });
});

describe('SealedFileVault: entries for several accounts', () => {
  /** A sealed vault whose key store has entries (a memory vault stands in for the keychain). */
  async function withEntries() {
    const folder = await newFolder();
    const keyStore = new MemoryVault();
    const logger = recordingLogger();
    const file = sealedVaultFiles(folder, ACCOUNT).session;
    return {
      vault: new SealedFileVault({ file, keyStore, account: ACCOUNT, logger }),
      keyStore,
      logger,
      folder,
    };
  }

  it('has no entry where its key store has none (it holds one account)', async () => {
    const { vault } = await sealedVault();
    expect(typeof vault.entry).toBe('undefined');
  });

  it('puts entry `a` in the file of account `<account> #a` beside this one, its key in keyStore.entry(a)', async () => {
    const { vault, keyStore, folder } = await withEntries();
    const a = vault.entry!('a');
    expect(a.account).toBe(`${ACCOUNT} #a`);
    expect(a.file).toBe(sealedVaultFiles(folder, `${ACCOUNT} #a`).session);
    expect(a.lockFile).toBe(`${a.file}.lock`);
    await a.write('token-a');
    expect(await keyStore.entry('a').read()).toMatch(/^k1:/);
    await expect(keyStore.read()).resolves.toBeUndefined();
    await expect(vault.entry!('a').read()).resolves.toBe('token-a');
    await vault.entry!('a').entry!('b').write('token-a-b');
    await expect(a.entry!('b').read()).resolves.toBe('token-a-b');
    await expect(a.read()).resolves.toBe('token-a');
  });

  it('keeps entries independent: clearing one removes only its file and key', async () => {
    const { vault, keyStore, folder } = await withEntries();
    const [a, b] = [vault.entry!('a'), vault.entry!('b')];
    await vault.write('index');
    await a.write('token-a');
    await b.write('token-b');
    await a.clear();
    await expect(lstat(a.file)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(keyStore.entry('a').read()).resolves.toBeUndefined();
    await expect(b.read()).resolves.toBe('token-b');
    await expect(vault.read()).resolves.toBe('index');
    await vault.clear();
    await expect(b.read()).resolves.toBe('token-b');
    expect((await readdir(folder)).sort()).toEqual([path.basename(b.file)]);
  });

  it("an entry's file copied over a sibling's reads as signed out, even with its key copied too", async () => {
    const { vault, keyStore, logger } = await withEntries();
    const [a, b] = [vault.entry!('a'), vault.entry!('b')];
    await a.write(sessionWith('rt.of-a'));
    await b.write(sessionWith('rt.of-b'));
    await writeFile(b.file, await readFile(a.file));
    await expect(b.read()).resolves.toBeUndefined();
    expect(logger.warnings.at(-1)).toMatch(/failed authentication/);
    await keyStore.entry('b').write((await keyStore.entry('a').read())!);
    await expect(b.read()).resolves.toBeUndefined();
    expect(logger.warnings).toHaveLength(2);
    expect(logger.warnings.at(-1)).toMatch(/failed authentication/);
    expect(logger.warnings.join()).not.toContain('rt.of-a');
  });

  it.each(['', 'a b', '../up', 'a.b', 'x'.repeat(65)])(
    'refuses the name %j with ERR_CONFIG',
    async (name) => {
      const { vault } = await withEntries();
      expect(() => vault.entry!(name)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    },
  );
});
