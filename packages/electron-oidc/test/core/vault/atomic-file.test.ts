import type { FileHandle } from 'node:fs/promises';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { temporaryFolders } from './doubles.ts';

// The real file system, with `open` and `rename` replaceable per test: a
// full disk or a crash cannot be had on demand (and tests run as root here,
// so a read-only folder would not stop a write).
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof fs>();
  return { ...actual, open: vi.fn(actual.open), rename: vi.fn(actual.rename) };
});

const actual = await vi.importActual<typeof fs>('node:fs/promises');
const { writeFileAtomic, readFileCapped } = await import('../../../src/core/vault/atomic-file.ts');
const { SealedFileVault, sealedVaultFiles } = await import('../../../src/core/vault/sealed-file-vault.ts');
const { WindowsSizedStore, recordingLogger } = await import('./doubles.ts');

const newFolder = temporaryFolders();
afterEach(() => {
  vi.mocked(fs.open).mockImplementation(actual.open);
  vi.mocked(fs.rename).mockImplementation(actual.rename);
});

/** Replaces how the next file opened writes its content, on the real file. */
function interceptNextWrite(write: (handle: FileHandle, data: Uint8Array) => Promise<void>): void {
  vi.mocked(fs.open).mockImplementationOnce(async (...args: Parameters<typeof actual.open>) => {
    const handle = await actual.open(...args);
    return Object.assign(Object.create(handle) as FileHandle, {
      writeFile: (data: Uint8Array) => write(handle, data),
      sync: () => handle.sync(),
      close: () => handle.close(),
    });
  });
}

/** Makes the next file opened for writing fail after writing half of what it was given. */
function failHalfwayThroughTheNextWrite(): void {
  interceptNextWrite(async (handle, data) => {
    await handle.write(data.subarray(0, data.length >> 1));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  });
}

describe('writeFileAtomic', () => {
  it.each([
    ['halfway (disk full)', failHalfwayThroughTheNextWrite, 'ENOSPC'],
    [
      'before the rename (crash)',
      () => vi.mocked(fs.rename).mockRejectedValueOnce(new Error('EIO: rename')),
      'EIO',
    ],
  ])('a write that fails %s leaves the old file whole, and no temporary file', async (_, fail, message) => {
    const folder = await newFolder();
    const file = path.join(folder, 'entry');
    await writeFileAtomic(file, Buffer.from('old content'));
    fail();
    await expect(writeFileAtomic(file, Buffer.alloc(64 * 1024, 'n'))).rejects.toThrow(message);
    await expect(actual.readFile(file, 'utf8')).resolves.toBe('old content');
    expect(await actual.readdir(folder)).toEqual(['entry']);
  });

  it('writes to a temporary file in the same folder, created exclusively and owner-only, then renames it over', async () => {
    const folder = await newFolder();
    const file = path.join(folder, 'entry');
    await writeFileAtomic(file, Buffer.from('new'));
    const [from, to] = vi.mocked(fs.rename).mock.calls.at(-1) ?? [];
    expect(path.dirname(String(from))).toBe(folder);
    expect(path.basename(String(from))).toMatch(/^\.entry\.[0-9a-f]{16}\.tmp$/);
    expect(to).toBe(file);
    expect(
      vi
        .mocked(fs.open)
        .mock.calls.find(([p]) => p === from)
        ?.slice(1),
    ).toEqual(['wx', 0o600]);
  });

  it('while a write is halfway through, readers see the whole old file', async () => {
    const folder = await newFolder();
    const file = path.join(folder, 'entry');
    await writeFileAtomic(file, Buffer.from('old content'));
    let resume = (): void => undefined;
    const paused = new Promise<void>((resolve) => (resume = resolve));
    let halfway = (): void => undefined;
    const reachedHalfway = new Promise<void>((resolve) => (halfway = resolve));
    interceptNextWrite(async (handle, data) => {
      await handle.write(data.subarray(0, data.length >> 1));
      halfway();
      await paused;
      await handle.write(data.subarray(data.length >> 1));
    });
    const writing = writeFileAtomic(file, Buffer.from('new content, longer than the old'));
    await reachedHalfway;
    await expect(readFileCapped(file, 1024)).resolves.toEqual({
      found: true,
      data: Buffer.from('old content'),
    });
    resume();
    await writing;
    await expect(actual.readFile(file, 'utf8')).resolves.toBe('new content, longer than the old');
  });

  it('still succeeds where the folder cannot be flushed (Windows)', async () => {
    const folder = await newFolder();
    const file = path.join(folder, 'entry');
    vi.mocked(fs.open).mockImplementation(async (target, ...rest) => {
      if (target === folder) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
      return actual.open(target, ...rest);
    });
    await writeFileAtomic(file, Buffer.from('kept'));
    await expect(actual.readFile(file, 'utf8')).resolves.toBe('kept');
  });
});

describe('SealedFileVault over a failing disk', () => {
  it('a session write that fails midway leaves the previous session readable', async () => {
    const folder = await newFolder();
    const account = 'https://id.example.com/ desktop';
    const keyStore = new WindowsSizedStore();
    const logger = recordingLogger();
    const vault = new SealedFileVault({
      file: sealedVaultFiles(folder, account).session,
      keyStore,
      account,
      logger,
    });
    await vault.write('previous session');
    failHalfwayThroughTheNextWrite();
    await expect(vault.write('next session')).rejects.toMatchObject({ code: 'ERR_VAULT_UNAVAILABLE' });
    await expect(vault.read()).resolves.toBe('previous session');
    expect(logger.warnings).toEqual([]);
  });
});
