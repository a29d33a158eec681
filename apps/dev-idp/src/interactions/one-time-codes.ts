import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

/** How long a one-time code can be used. */
export const ONE_TIME_CODE_TTL_SECONDS = 5 * 60;
/** Wrong codes allowed in one sign-in before it fails with access_denied. */
export const ONE_TIME_CODE_ATTEMPTS = 5;

/** Receives each code as it is issued, with the account it is for. */
export type OneTimeCodeListener = (accountId: string, code: string) => void;

/** The default delivery: the console the provider runs in stands in for the user's phone. */
export function printOneTimeCode(accountId: string, code: string): void {
  console.log(`One-time code for ${accountId}: ${code}`);
}

/** What a typed code amounts to. */
export type CodeCheck =
  | { outcome: 'accepted'; accountId: string }
  | { outcome: 'wrong'; accountId: string; attemptsLeft: number }
  /** The last attempt was wrong too; the code is gone. */
  | { outcome: 'exhausted' }
  /** No code is pending for this sign-in: it expired, was used, or was never issued. */
  | { outcome: 'expired' };

interface PendingCode {
  accountId: string;
  digest: Buffer;
  expiresAt: number;
  attemptsLeft: number;
}

/**
 * The codes of the sign-ins waiting for their second step, one per interaction,
 * in memory (a restart sends the user back to the password, which is harmless).
 * A code is random, works once, for five minutes, and only in the sign-in it was
 * issued for; it is kept as a SHA-256 digest and compared in constant time.
 */
export class OneTimeCodes {
  readonly #pending = new Map<string, PendingCode>();
  readonly #now: () => number;

  /** @param now milliseconds since the epoch; tests pass a clock they move. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A new 6-digit code for the interaction, replacing any earlier one. */
  issue(interactionUid: string, accountId: string): string {
    this.#sweep();
    // Typing the password again must not buy more guesses than one sign-in allows.
    const attemptsLeft = this.#live(interactionUid)?.attemptsLeft ?? ONE_TIME_CODE_ATTEMPTS;
    const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
    this.#pending.set(interactionUid, {
      accountId,
      digest: digestOf(code),
      expiresAt: this.#now() + ONE_TIME_CODE_TTL_SECONDS * 1000,
      attemptsLeft,
    });
    return code;
  }

  /** The account whose code the interaction waits for, if one is still usable. */
  pendingAccount(interactionUid: string): string | undefined {
    return this.#live(interactionUid)?.accountId;
  }

  /** Checks a typed code; an accepted code is used up. */
  check(interactionUid: string, typed: string): CodeCheck {
    const pending = this.#live(interactionUid);
    if (!pending) return { outcome: 'expired' };
    // Both digests are 32 bytes, so timingSafeEqual applies and reveals nothing of the code.
    if (timingSafeEqual(digestOf(typed.replace(/\s/g, '')), pending.digest)) {
      this.#pending.delete(interactionUid);
      return { outcome: 'accepted', accountId: pending.accountId };
    }
    pending.attemptsLeft -= 1;
    if (pending.attemptsLeft > 0)
      return { outcome: 'wrong', accountId: pending.accountId, attemptsLeft: pending.attemptsLeft };
    this.#pending.delete(interactionUid);
    return { outcome: 'exhausted' };
  }

  #live(interactionUid: string): PendingCode | undefined {
    const pending = this.#pending.get(interactionUid);
    if (pending && pending.expiresAt <= this.#now()) {
      this.#pending.delete(interactionUid);
      return undefined;
    }
    return pending;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [uid, pending] of this.#pending) {
      if (pending.expiresAt <= now) this.#pending.delete(uid);
    }
  }
}

function digestOf(code: string): Buffer {
  return createHash('sha256').update(code).digest();
}
