import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { AuthError } from '../../../src/core/errors.ts';
import type { Vault } from '../../../src/core/vault/vault.ts';

/**
 * Windows Credential Manager's limit as @napi-rs/keyring meets it: a
 * credential blob of at most 2,560 bytes (CRED_MAX_CREDENTIAL_BLOB_SIZE), the
 * password stored as UTF-16, so at most 1,280 UTF-16 code units.
 */
export const WINDOWS_MAX_CHARS = 1_280;
export const WINDOWS_MAX_BYTES = 2_560;

/** A keychain double that refuses what Windows Credential Manager refuses, and counts its operations. */
export class WindowsSizedStore implements Vault {
  readonly kind = 'keychain';
  readonly persistent = true;
  value: string | undefined;
  readonly operations: string[] = [];
  /** Set to make the next operations of one kind fail as an unreachable keychain. */
  failing = new Set<'read' | 'write' | 'clear'>();

  async read(): Promise<string | undefined> {
    this.#enter('read');
    return this.value;
  }

  async write(value: string): Promise<void> {
    this.#enter('write');
    if (value.length > WINDOWS_MAX_CHARS || Buffer.byteLength(value, 'utf16le') > WINDOWS_MAX_BYTES) {
      throw new AuthError(
        'ERR_VAULT_UNAVAILABLE',
        `Could not save the sign-in to the OS keychain: Attribute password is longer than platform limit of ${WINDOWS_MAX_CHARS} chars.`,
      );
    }
    this.value = value;
  }

  async clear(): Promise<void> {
    this.#enter('clear');
    this.value = undefined;
  }

  #enter(operation: 'read' | 'write' | 'clear'): void {
    this.operations.push(operation);
    if (this.failing.has(operation)) {
      throw new AuthError('ERR_VAULT_UNAVAILABLE', `The keychain refused to ${operation} (test double).`);
    }
  }
}

/** A logger that keeps what it was told. */
export function recordingLogger(): { warn(message: string): void; warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (message) => void warnings.push(message) };
}

/** A refresh token of `length` characters, shaped like a JWT (base64url segments). */
export function refreshTokenOf(length: number): string {
  const body = randomBytes(length)
    .toString('base64url')
    .slice(0, length - 'rt.'.length);
  return `rt.${body}`;
}

/** A session entry as the library stores it today (versioned JSON), with a refresh token of `length` characters. */
export function sessionWith(refreshToken: string): string {
  return JSON.stringify({
    v: 1,
    iss: 'https://id.example.com/',
    client_id: 'desktop',
    sub: 'user-1',
    refresh_token: refreshToken,
    provider_cache_sha256: randomBytes(32).toString('base64url'),
  });
}

/** A fresh folder per test, removed afterwards. */
export function temporaryFolders(): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
  });
  return async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'electron-oidc-vault-'));
    made.push(folder);
    return folder;
  };
}
