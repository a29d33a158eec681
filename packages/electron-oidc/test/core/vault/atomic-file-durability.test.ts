// writeFileAtomic (the vault's session file, the dev provider's store and keys): the old content or the new survives a crash or a power loss, never an
// empty file. A test cannot cut the power; it checks that the data is flushed (fsync)
// before the rename, and that the visible behaviour stays the same.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type * as FsPromises from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tmpdir } from 'node:os';

const steps: string[] = [];

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof FsPromises>();
  return {
    ...fs,
    open: async (...args: Parameters<typeof fs.open>) => {
      const handle = await fs.open(...args);
      const sync = handle.sync.bind(handle);
      handle.sync = () => {
        steps.push(`sync ${path.basename(String(args[0]))}`);
        return sync();
      };
      return handle;
    },
    rename: (from: string, to: string) => {
      steps.push(`rename ${path.basename(from)}`);
      return fs.rename(from, to);
    },
  };
});

const { writeFileAtomic } = await import('../../../src/core/vault/atomic-file.ts');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'atomic-file-'));
  steps.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('flushes the data to disk before the rename makes it the file', async () => {
    await writeFileAtomic(path.join(dir, 'keys.json'), '{"keys":[]}');
    const temp = steps[0]?.replace(/^sync /, '') ?? '';
    expect(temp).toMatch(/^\.keys\.json\..*\.tmp$/);
    expect(steps.slice(0, 2)).toEqual([`sync ${temp}`, `rename ${temp}`]);
  });

  it('replaces the content, readable by its owner only, leaving no temporary file', async () => {
    const file = path.join(dir, 'sub', 'store.json');
    await writeFileAtomic(file, 'old');
    await writeFileAtomic(file, 'new content');
    expect(await readFile(file, 'utf8')).toBe('new content');
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(path.dirname(file))).toEqual(['store.json']);
  });

  it('removes the temporary file when the rename fails, and throws', async () => {
    // The target is a folder: the rename fails.
    const target = path.join(dir, 'sub');
    await writeFileAtomic(path.join(target, 'x.json'), 'x');
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
