import type { AccountSummary } from '../core/desktop-auth.ts';
import type { Profile } from '../core/profile.ts';
import type { SessionState } from '../core/session/token-session.ts';
import { SealedFileVault } from '../core/vault/sealed-file-vault.ts';
import type { SessionContext } from './session.ts';

/**
 * `text` with control characters shown as `?`: names and emails come from
 * the provider, and an escape sequence in one must not drive the terminal.
 */
export function printable(text: string): string {
  return [...text]
    .map((c) => {
      const code = c.codePointAt(0) ?? 0;
      return code < 0x20 || (code >= 0x7f && code < 0xa0) ? '?' : c;
    })
    .join('');
}

/** `Name <email>`, or whichever of the two there is, else `fallback`. */
function nameAndEmail(name: string | undefined, email: string | undefined, fallback: string): string {
  if (name !== undefined && email !== undefined) return printable(`${name} <${email}>`);
  return printable(name ?? email ?? fallback);
}

export function describeUser(profile: Profile): string {
  return nameAndEmail(profile.name, profile.email, profile.sub);
}

export function describeAccount(account: AccountSummary): string {
  return nameAndEmail(account.name, account.email, `account ${account.id}`);
}

/** `A <a@x>`, `A <a@x> and B <b@x>`, `A, B and C`. */
export function describeAccounts(accounts: readonly AccountSummary[]): string {
  const names = accounts.map(describeAccount);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * Where an account's session rests: with a keychain that has entries, the
 * account's own (`<account> #<id>`); the keychain entry holds the key and the
 * session rests encrypted in a file when the vault is sealed.
 */
export function describeVault(ctx: SessionContext, accountId?: string): string {
  if (ctx.vault === undefined) return 'memory only (no OS keychain answered)';
  const own = accountId !== undefined && ctx.vault.entry !== undefined;
  const vault = own ? ctx.vault.entry!(accountId) : ctx.vault;
  const account = own ? `${ctx.location.account} #${accountId}` : ctx.location.account;
  const entry = `(service "${ctx.location.service}", account "${account}")`;
  if (vault instanceof SealedFileVault) return `${vault.file}, encrypted with a key in the keychain ${entry}`;
  return `the ${ctx.vault.kind} ${entry}`;
}

/**
 * An account's state as `accounts` shows it (the library lists an account
 * whose stored session is not renewed yet in this process as signed in; the
 * command renews the active one only).
 */
function describeState(account: AccountSummary): string {
  const words: Record<SessionState, string> = {
    'signed-in': 'signed in',
    offline: 'offline (the provider cannot be reached)',
    'signing-in': 'signing in',
    'signed-out': 'signed out: run "electron-oidc login" to sign in again',
  };
  return words[account.state];
}

/** One line per account, in columns: `*` for the active one, name, email, id, state. */
export function accountTable(accounts: readonly AccountSummary[]): string {
  const rows = accounts.map((a) => [
    printable(a.name ?? '(no name)'),
    printable(a.email ?? '(no email)'),
    a.id,
    describeState(a),
  ]);
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]!.length))) ?? [];
  const lines = rows.map((row, i) => {
    const cells = row.map((cell, column) =>
      column === row.length - 1 ? cell : cell.padEnd(widths[column]!),
    );
    return `${accounts[i]!.active ? '*' : ' '} ${cells.join('  ')}`;
  });
  return lines.map((line) => `${line}\n`).join('');
}

/** What `ERR_UNKNOWN_ACCOUNT` means for `query`, said the CLI's way. */
export function unknownAccountMessage(query: string, accounts: readonly AccountSummary[]): string {
  const quoted = JSON.stringify(query);
  if (accounts.length === 0)
    return `No account is signed in, so none is ${quoted}. Run "electron-oidc login" to sign in.`;
  const lower = query.toLowerCase();
  if (accounts.filter((a) => a.email?.toLowerCase() === lower).length > 1) {
    return `Several signed-in accounts have the email ${quoted}; name one by its id ("electron-oidc accounts" lists them).`;
  }
  return `No signed-in account is ${quoted}; "electron-oidc accounts" lists them (name one by its id, email or subject).`;
}
