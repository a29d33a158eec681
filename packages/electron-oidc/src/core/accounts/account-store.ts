import type { Logger } from '../logger.ts';
import { decodeStoredSession } from '../session/stored-session.ts';
import type { Vault } from '../vault/vault.ts';
import {
  EMPTY_INDEX,
  accountId,
  decodeAccountIndex,
  encodeAccountIndex,
  isAccountIndex,
} from './account-index.ts';
import type { AccountIndex } from './account-index.ts';

/** The issuer and client whose accounts a store keeps. */
export interface AccountOwner {
  readonly issuer: string;
  readonly clientId: string;
}

/**
 * Where the accounts rest: an index of accounts (never a token) and one vault
 * entry per account holding its session.
 */
export interface AccountStore {
  /** Whether the store keeps more than one account. */
  readonly several: boolean;
  /** The stored index; a session stored before there were several accounts is taken over. */
  load(): Promise<AccountIndex>;
  /**
   * Applies `change` to the index as it is stored now (another process may
   * have changed it since {@link load}) and stores the result; an index
   * without accounts clears the entry.
   */
  update(change: (index: AccountIndex) => AccountIndex): Promise<void>;
  /** The vault entry of one account's session. */
  entry(id: string): Vault;
}

const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The store on a vault with entries ({@link Vault.entry}): the index in the
 * vault's own entry, each account's session in `entry(<account id>)`. The
 * index is changed under the vault's `exclusive`, so processes that add or
 * remove accounts at once do not lose each other's changes.
 */
export function indexedAccountStore(
  vault: Vault & Required<Pick<Vault, 'entry'>>,
  owner: AccountOwner,
  logger: Logger,
): AccountStore {
  const exclusive = <T>(work: () => Promise<T>): Promise<T> =>
    vault.exclusive === undefined ? work() : vault.exclusive(work);

  /** The index `raw` holds; a single-account session is taken over (call it under `exclusive`). */
  const indexOf = async (raw: string | undefined): Promise<AccountIndex> => {
    if (raw === undefined) return EMPTY_INDEX;
    if (!isAccountIndex(raw)) return takeOver(raw);
    const decoded = decodeAccountIndex(raw, owner);
    if (decoded.ok) return decoded.index;
    logger.warn(`Ignoring the stored accounts (${decoded.problem}). Sign in again.`);
    return EMPTY_INDEX;
  };

  /**
   * A session stored before there were several accounts: copied, as it is,
   * into its account's entry first, then the index replaces it, so a crash
   * in between leaves it to be taken over again.
   */
  const takeOver = async (raw: string): Promise<AccountIndex> => {
    const decoded = decodeStoredSession(raw, owner);
    if (!decoded.ok) {
      logger.warn(`Ignoring the stored session (${decoded.problem}): ${decoded.detail}. Sign in again.`);
      return EMPTY_INDEX;
    }
    const id = accountId(owner.issuer, decoded.session.sub);
    const index: AccountIndex = { accounts: [{ id, sub: decoded.session.sub }], active: id };
    try {
      await vault.entry(id).write(raw);
      await vault.write(encodeAccountIndex(index, owner));
      logger.info('Moved the stored session into the accounts layout (one vault entry per account).');
    } catch (err) {
      logger.warn(`Could not move the stored session into its account's entry yet (${reasonOf(err)}).`);
      throw err;
    }
    return index;
  };

  return {
    several: true,
    load: async () => {
      const raw = await vault.read();
      return raw === undefined || isAccountIndex(raw)
        ? indexOf(raw)
        : exclusive(async () => indexOf(await vault.read()));
    },
    update: (change) =>
      exclusive(async () => {
        const raw = await vault.read();
        const next = change(await indexOf(raw));
        // Signed out of every account: nothing stays behind (not even an empty index, or the
        // key of a sealed vault), as when the single account signed out before.
        if (next.accounts.length === 0) await vault.clear();
        else {
          const encoded = encodeAccountIndex(next, owner);
          // A change that changes nothing (e.g. choosing the account already active) writes nothing.
          if (encoded !== raw) await vault.write(encoded);
        }
      }),
    entry: (id) => vault.entry(id),
  };
}

/**
 * The store on a vault without entries (an app's own single-entry store):
 * one account, whose session is the vault's value; there is no index.
 */
export function singleAccountStore(vault: Vault, owner: AccountOwner, logger: Logger): AccountStore {
  return {
    several: false,
    load: async () => {
      const raw = await vault.read();
      if (raw === undefined) return EMPTY_INDEX;
      const decoded = decodeStoredSession(raw, owner);
      if (!decoded.ok) {
        logger.warn(`Ignoring the stored session (${decoded.problem}): ${decoded.detail}. Sign in again.`);
        return EMPTY_INDEX;
      }
      const id = accountId(owner.issuer, decoded.session.sub);
      return { accounts: [{ id, sub: decoded.session.sub }], active: id };
    },
    update: async () => {},
    entry: () => vault,
  };
}

/** The store for `vault`: indexed where it has entries, else one account in the vault's own entry. */
export function accountStore(vault: Vault, owner: AccountOwner, logger: Logger): AccountStore {
  return typeof vault.entry === 'function'
    ? indexedAccountStore(vault as Vault & Required<Pick<Vault, 'entry'>>, owner, logger)
    : singleAccountStore(vault, owner, logger);
}
