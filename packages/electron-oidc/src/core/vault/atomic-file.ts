import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Owner read and write only: nothing of a vault file is for other users. */
export const OWNER_ONLY_FILE_MODE = 0o600;
/** Owner only, for the folders this module creates. */
export const OWNER_ONLY_FOLDER_MODE = 0o700;

/**
 * Replaces `file` with `data` so that a reader sees either the old content or
 * the new, never a mix, and a crash or a full disk leaves the old file: the
 * data goes to a fresh temporary file in the same folder (a rename is atomic
 * only within one file system), is flushed to the disk, then renamed over
 * `file`; the folder is flushed too so that the rename survives a power cut.
 *
 * The temporary file is created exclusively (`wx`) with a random name, so it
 * can never be a symlink planted in advance, and owner-only from its first
 * byte. Missing folders are created owner-only; an existing folder keeps its mode.
 * A string is written as UTF-8. The dev provider keeps its store and keys with it too.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const folder = path.dirname(file);
  await mkdir(folder, { recursive: true, mode: OWNER_ONLY_FOLDER_MODE });
  const temporary = path.join(folder, `.${path.basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', OWNER_ONLY_FILE_MODE);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncFolder(folder);
}

/**
 * Best effort: POSIX needs the folder flushed for a rename to be durable, but
 * Windows cannot open a folder for flushing (and NTFS journals the rename).
 */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported here; the file's own content is already on the disk.
  }
}

/** What {@link readFileCapped} found. */
export type CappedFile =
  | { readonly found: false }
  | { readonly found: true; readonly data: Buffer }
  | { readonly found: true; readonly refused: 'not-a-file' | 'too-large' };

/**
 * Reads a small regular file. Refuses anything else without opening it (a
 * named pipe planted there would block the read forever; a symlink is not
 * what this library writes) and a file over `maxBytes` without reading it (a
 * planted huge file must not exhaust memory). Missing means `found: false`;
 * any other failure rejects.
 */
export async function readFileCapped(file: string, maxBytes: number): Promise<CappedFile> {
  let stats;
  try {
    stats = await lstat(file);
  } catch (error) {
    if (isMissing(error)) return { found: false };
    throw error;
  }
  if (!stats.isFile()) return { found: true, refused: 'not-a-file' };
  if (stats.size > maxBytes) return { found: true, refused: 'too-large' };
  try {
    const data = await readFile(file);
    return data.length > maxBytes ? { found: true, refused: 'too-large' } : { found: true, data };
  } catch (error) {
    if (isMissing(error)) return { found: false };
    throw error;
  }
}

/** Removes `file`; succeeds when it does not exist. */
export async function removeFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** Whether anything exists at `file`. */
export async function fileExists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
