import { AsyncEntry } from '@napi-rs/keyring';
import { AuthError } from '../core/errors.ts';
import type { Vault } from '../core/vault/vault.ts';

/** Where in the OS keychain the session rests. */
export interface KeychainLocation {
  readonly service: string;
  readonly account: string;
}

function unavailable(action: string, cause: unknown): AuthError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new AuthError('ERR_VAULT_UNAVAILABLE', `The OS keychain could not ${action} (${reason}).`, {
    cause,
  });
}

/**
 * Opens the OS keychain entry (macOS Keychain, Windows Credential Manager,
 * Linux Secret Service) and checks that it answers by reading it once.
 * Rejects with `ERR_VAULT_UNAVAILABLE` when no keychain answers.
 *
 * The CLI's own adapter until the core's `openVault` lands; it keeps to the
 * {@link Vault} contract so swapping it is a one-line change in `run.ts`.
 */
export async function openKeychainVault(location: KeychainLocation): Promise<Vault> {
  let entry: AsyncEntry;
  try {
    // Linux: the Secret Service only. The kernel keyring (keyutils) forgets everything at logout,
    // which would look like a keychain but behave like memory.
    entry = new AsyncEntry(location.service, location.account, { linux: { store: 'secret-service' } });
    await entry.getPassword();
  } catch (err) {
    throw unavailable('be opened', err);
  }
  return {
    kind: 'keychain',
    persistent: true,
    read: async () => {
      try {
        return (await entry.getPassword()) ?? undefined;
      } catch (err) {
        throw unavailable('be read', err);
      }
    },
    write: async (value) => {
      try {
        await entry.setPassword(value);
      } catch (err) {
        throw unavailable('store the session', err);
      }
    },
    clear: async () => {
      try {
        await entry.deleteCredential();
      } catch (err) {
        throw unavailable('remove the session', err);
      }
    },
  };
}
