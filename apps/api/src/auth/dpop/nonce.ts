import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface DpopNonceOptions {
  /** A nonce is valid in the time slot it was made in and in the next one: this long each. */
  lifetimeSeconds: number;
  /** The HMAC key; a fresh random one by default (nonces then survive no restart, by design). */
  secret?: Uint8Array;
  /** The clock, in ms since the epoch. */
  now: () => number;
}

/** Server-provided nonces for DPoP proofs (RFC 9449 §8, §9), kept without state. */
export interface DpopNonces {
  /** The nonce to hand out now (`DPoP-Nonce`). */
  current(): string;
  /** Whether a proof's `nonce` is one this API handed out in the current or the previous slot. */
  isValid(nonce: string | undefined): boolean;
  /**
   * When a valid `nonce` stops being accepted, in seconds since the epoch (the end of the slot
   * after its own); undefined for a nonce that is not valid now.
   */
  validUntil(nonce: string | undefined): number | undefined;
}

/**
 * Stateless nonces: `<slot>.<HMAC-SHA256(secret, slot)>`, the slot being the time divided by
 * `lifetimeSeconds`. A nonce is accepted in its own slot and the next, so a client that got
 * one just before a slot ends still has a full slot to use it; an older or forged nonce is
 * answered with a new one (`use_dpop_nonce`). Nothing is stored per client, and the two
 * valid nonces are computed once per slot. Several API instances behind one name need the
 * same `secret`, or a nonce from one is refused by the other.
 *
 * @example
 * ```ts
 * const nonces = createDpopNonces({ lifetimeSeconds: 300, now: Date.now });
 * res.set('DPoP-Nonce', nonces.current());
 * ```
 */
export function createDpopNonces(options: DpopNonceOptions): DpopNonces {
  const { lifetimeSeconds, now } = options;
  const secret = options.secret ?? randomBytes(32);
  const make = (slot: number): string =>
    `${slot.toString(36)}.${createHmac('sha256', secret).update(`DPoP-Nonce ${slot}`).digest('base64url')}`;
  let slot = Number.NaN;
  let valid: [current: Buffer, previous: Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  let current = '';
  const refresh = (): void => {
    const currentSlot = Math.floor(now() / 1000 / lifetimeSeconds);
    if (currentSlot === slot) return;
    slot = currentSlot;
    current = make(slot);
    valid = [Buffer.from(current), Buffer.from(make(slot - 1))];
  };
  const equals = (given: Buffer, expected: Buffer): boolean =>
    given.length === expected.length && timingSafeEqual(given, expected);
  return {
    current() {
      refresh();
      return current;
    },
    isValid(nonce) {
      return this.validUntil(nonce) !== undefined;
    },
    validUntil(nonce) {
      if (nonce === undefined) return undefined;
      refresh();
      const given = Buffer.from(nonce);
      if (equals(given, valid[0])) return (slot + 2) * lifetimeSeconds;
      if (equals(given, valid[1])) return (slot + 1) * lifetimeSeconds;
      return undefined;
    },
  };
}
