import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replaces `file` with `data` so that a reader (or a restart after a crash)
 * sees either the old content or the new, never half of it: the data goes to a
 * temporary file in the same folder, which is then renamed over the target
 * (rename is atomic within one file system, POSIX rename(2)). The file is
 * readable by its owner only, as it holds private keys and tokens.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, data, { mode: 0o600 });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
