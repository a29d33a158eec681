import { scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number },
) => Promise<Buffer>;

/** A demo account as people see it: the credentials to type and the profile they get. */
export interface DemoUser {
  username: string;
  password: string;
  name: string;
  email: string;
}

/** The seeded accounts, printed on start so a developer can sign in. */
export const demoUsers: ReadonlyArray<DemoUser> = Object.freeze([
  Object.freeze({
    username: 'alice',
    password: 'wonderland',
    name: 'Alice Liddell',
    email: 'alice@example.com',
  }),
  Object.freeze({ username: 'bob', password: 'builder', name: 'Bob Builder', email: 'bob@example.com' }),
]);

/** A stored account: only the password hash is kept, never the password. */
export interface Account {
  /** The stable subject identifier (`sub`). */
  id: string;
  username: string;
  name: string;
  givenName: string;
  familyName: string;
  email: string;
  emailVerified: boolean;
  /** Hex colour of the avatar served under /avatars/. */
  avatarColor: string;
  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
  passwordHash: string;
}

const accounts: ReadonlyMap<string, Account> = new Map(
  [
    {
      id: 'alice',
      username: 'alice',
      name: 'Alice Liddell',
      givenName: 'Alice',
      familyName: 'Liddell',
      email: 'alice@example.com',
      emailVerified: true,
      avatarColor: '#6a3d9a',
      passwordHash: 'scrypt$16384$8$1$IragmsfIitgPWOkIY3Szrw$9s8PprLXQz6AR0mSC3NXpZ-zl9jd7db_6hLW0EYTul0',
    },
    {
      id: 'bob',
      username: 'bob',
      name: 'Bob Builder',
      givenName: 'Bob',
      familyName: 'Builder',
      email: 'bob@example.com',
      emailVerified: true,
      avatarColor: '#b15928',
      passwordHash: 'scrypt$16384$8$1$3T1AlMpqUHrYJqPZOFoU_w$UK8klEKGvtV9gxvkWBg4lZvdYqA38_hjKg5aua5BIQU',
    },
  ].map((account) => [account.username, account]),
);

// Checked against when the username is unknown, so that an unknown user costs the
// same scrypt work as a wrong password and response times do not reveal which
// usernames exist. Its password is random and thrown away.
const DECOY_HASH = 'scrypt$16384$8$1$m6Cq1M3oQxA2b3bT0n5q7w$2f3x0-9nV5J3kq8mS4uY1wR6tZ7pL0cA9eD2gH5jK8I';

export function findAccountById(id: string): Account | undefined {
  for (const account of accounts.values()) {
    if (account.id === id) return account;
  }
  return undefined;
}

export function findAccountByUsername(username: string): Account | undefined {
  return accounts.get(username);
}

/**
 * Returns the account when the password matches its scrypt hash, otherwise
 * undefined, without telling an unknown user from a wrong password.
 */
export async function verifyPassword(username: string, password: string): Promise<Account | undefined> {
  const account = accounts.get(username);
  const matches = await matchesHash(password, account?.passwordHash ?? DECOY_HASH);
  return account && matches ? account : undefined;
}

async function matchesHash(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) {
    throw new Error('A stored password hash is malformed; expected scrypt$N$r$p$salt$hash.');
  }
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(actual, expected);
}
