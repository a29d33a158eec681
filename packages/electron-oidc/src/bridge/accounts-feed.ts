import { cleanText } from './clean-text.ts';
import { isBridgeAccountId } from './contract.ts';
import type { BridgeAccount, BridgeAccountState } from './contract.ts';
import type { BridgeAuth, BridgeAuthAccount, BridgeLog } from './handlers.ts';
import type { PictureCache } from './picture-cache.ts';

/**
 * The list of accounts as the renderer may see it, and its pushes: the
 * library's summaries with their text cleaned, pictures turned into `data:`
 * URLs by the main process, and each account's state narrowed to what the
 * switcher shows. Nothing else of a summary crosses (the library's summary
 * holds no token; this copies field by field, so a field added there does not
 * reach the renderer unseen).
 */
export interface AccountsFeed {
  /** The accounts now. */
  current(): Promise<BridgeAccount[]>;
  /** The listed account whose id is exactly `id`, if any. */
  find(id: string): BridgeAuthAccount | undefined;
  /**
   * Calls `listener` with the whole list whenever it changes. The library is
   * followed only while someone listens. Returns the unsubscribe function.
   */
  subscribe(listener: (accounts: BridgeAccount[]) => void): () => void;
}

/** An account's library state as the switcher shows it; anything unknown reads as signed out. */
function accountState(state: unknown): BridgeAccountState {
  if (state === 'signing-in') return 'restoring';
  return state === 'signed-in' || state === 'offline' ? state : 'signed-out';
}

export function createAccountsFeed(
  auth: Pick<BridgeAuth, 'listAccounts' | 'onAccountsChange'>,
  pictures: PictureCache,
  log: BridgeLog,
): AccountsFeed {
  const listeners = new Set<(accounts: BridgeAccount[]) => void>();
  let stopFollowing: (() => void) | undefined;
  // Lists are built asynchronously (pictures): only the newest one built is pushed.
  let newest = 0;
  let lastPublished: string | undefined;

  const summaries = (): BridgeAuthAccount[] =>
    auth.listAccounts().filter((account) => {
      if (isBridgeAccountId(account.id)) return true;
      log('electron-oidc bridge: an account with a malformed id is not listed');
      return false;
    });

  const current = (): Promise<BridgeAccount[]> =>
    Promise.all(
      summaries().map(async (account): Promise<BridgeAccount> => ({
        id: account.id,
        name: cleanText(account.name),
        email: cleanText(account.email),
        picture: await pictures.dataUrlOf(account.picture),
        active: account.active === true,
        state: accountState(account.state),
      })),
    );

  const publish = async (): Promise<void> => {
    const version = ++newest;
    const accounts = await current();
    const key = JSON.stringify(accounts);
    if (version !== newest || key === lastPublished) return;
    lastPublished = key;
    for (const listener of [...listeners]) {
      try {
        listener(accounts);
      } catch (err) {
        log('electron-oidc bridge: an accounts listener failed', err);
      }
    }
  };

  return {
    current,
    find: (id) => summaries().find((account) => account.id === id),
    subscribe(listener) {
      if (listeners.size === 0) {
        lastPublished = undefined;
        stopFollowing = auth.onAccountsChange(() => {
          publish().catch((err: unknown) => log('electron-oidc bridge: could not list the accounts', err));
        });
      }
      listeners.add(listener);
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return;
        stopFollowing?.();
        stopFollowing = undefined;
      };
    },
  };
}
