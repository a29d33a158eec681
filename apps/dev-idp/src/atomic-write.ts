import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Flushes a folder's entries (the rename) to disk; best effort, as not every platform can open a folder. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot fsync a directory; the rename itself is already done.
  }
}

/**
 * Replaces `file` with `data` so that a reader (or a restart after a crash or a power
 * loss) sees either the old content or the new, never half of it nor an empty file: the
 * data goes to a temporary file in the same folder and is flushed to disk (fsync) before
 * that file is renamed over the target (rename is atomic within one file system, POSIX
 * rename(2)); without the flush some file systems (ext4 without auto_da_alloc, XFS) can
 * persist the rename before the data, leaving a zero-length file. The folder is then
 * flushed too, best effort, so the rename itself survives. The file is readable by its
 * owner only, as it holds private keys and tokens.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const folder = path.dirname(file);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncFolder(folder);
}
