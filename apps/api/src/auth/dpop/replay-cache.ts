/** What the replay cache says of a proof. */
export type ReplayVerdict =
  /** Never seen while it could be taken: remembered now, the request may go on. */
  | 'fresh'
  /** Seen before: a replay (RFC 9449 §11.1). */
  | 'replayed'
  /** Taken no later than a proof the cache had to forget, so it cannot tell: refused. */
  | 'undecidable';

export interface ReplayCacheOptions {
  /** At most this many proofs are remembered. */
  maxEntries: number;
}

/** Remembers the proofs seen for as long as they could be taken again (RFC 9449 §4.3 step 12, §11.1). */
export interface ReplayCache {
  /**
   * Records a proof, identified by `id` (its key's thumbprint and its `jti`), unless it was seen
   * before. `until` is the last moment at which the proof checks would take this very proof
   * (see `checkProofFreshness`), `now` the clock that decided it; both in seconds since the epoch.
   */
  claim(id: string, until: number, now: number): ReplayVerdict;
  /** How many proofs are remembered now. */
  readonly size: number;
}

/**
 * A replay cache that never lets a replay through, even when full. Proofs are kept by the
 * second until which they could be taken (`until`, rounded up), and forgotten once it has
 * passed: a replay after that is refused by the proof checks anyway. Keying on that moment,
 * not on `iat`, keeps the cache sound when a valid nonce lets a proof in with an `iat` far
 * from the API's clock (RFC 9449 §11.1): such a proof is remembered as long as its nonce lives.
 *
 * When `maxEntries` are remembered, the proofs of the earliest `until` second are forgotten,
 * and from then on every proof whose `until` is at or before that second is refused as
 * undecidable (a "floor"): the cache cannot say whether it saw it. A replay has the same
 * `until` as the proof it copies, so it is refused either way. Fresh proofs (a client makes
 * one per request) run out later and still pass; under a flood of valid proofs the window
 * shrinks rather than the check weakening. The other choices were worse: forgetting the
 * oldest proofs silently would let a captured proof be replayed once the flood pushed it
 * out, and refusing every new proof while full would lock out every client for a window.
 *
 * @example
 * ```ts
 * const replays = createReplayCache({ maxEntries: 100_000 });
 * if (replays.claim(`${jkt} ${jti}`, iat + 60, Date.now() / 1000) !== 'fresh') refuse();
 * ```
 */
export function createReplayCache(options: ReplayCacheOptions): ReplayCache {
  const { maxEntries } = options;
  const seconds = new Map<number, Set<string>>();
  let size = 0;
  let floor = -Infinity;
  let swept = -Infinity;

  const forget = (second: number): void => {
    size -= seconds.get(second)?.size ?? 0;
    seconds.delete(second);
  };
  // Once per second at most: the proofs that can no longer be taken.
  const sweep = (now: number): void => {
    const current = Math.floor(now);
    if (current === swept) return;
    swept = current;
    for (const second of seconds.keys()) if (second < current) forget(second);
  };
  const forgetEarliest = (): void => {
    let earliest = Infinity;
    for (const second of seconds.keys()) if (second < earliest) earliest = second;
    forget(earliest);
    floor = Math.max(floor, earliest);
  };

  return {
    get size() {
      return size;
    },
    claim(id, until, now) {
      sweep(now);
      const second = Math.ceil(until);
      if (second <= floor) return 'undecidable';
      const seen = seconds.get(second);
      if (seen?.has(id)) return 'replayed';
      while (size >= maxEntries) forgetEarliest();
      if (second <= floor) return 'undecidable';
      const bucket = seconds.get(second) ?? new Set<string>();
      if (bucket.size === 0) seconds.set(second, bucket);
      bucket.add(id);
      size += 1;
      return 'fresh';
    },
  };
}
