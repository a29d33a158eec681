import { AuthError } from '../../../src/core/errors.ts';
import type { Vault } from '../../../src/core/vault/vault.ts';

/** A vault that records every write and clear in order, so tests can check what was stored when. */
export class RecordingVault implements Vault {
  readonly kind: string = 'test';
  readonly persistent = true;
  value: string | undefined;
  readonly log: string[];
  failReads = false;
  constructor(log: string[] = [], value?: string) {
    this.log = log;
    this.value = value;
  }
  async read() {
    if (this.failReads) throw new AuthError('ERR_VAULT_UNAVAILABLE', 'no keychain');
    return this.value;
  }
  async write(value: string) {
    this.log.push(`vault.write ${JSON.parse(value).refresh_token}`);
    this.value = value;
  }
  async clear() {
    this.log.push('vault.clear');
    this.value = undefined;
  }
}
