/** What the replay cache says of a proof. */
export type ReplayVerdict =
  /** Never seen within the window: remembered now, the request may go on. */
  | 'fresh'
  /** Seen before: a replay (RFC 9449 §11.1). */
  | 'replayed'
  /** Issued no later than a proof the cache had to forget, so it cannot tell: refused. */
  | 'undecidable';

export interface ReplayCacheOptions {
  /** Proofs are accepted within this many seconds of `iat` (the proof check refuses the others). */
  windowSeconds: number;
  /** At most this many proofs are remembered. */
  maxEntries: number;
}

/** Remembers the proofs seen within the window (RFC 9449 §4.3 step 12, §11.1). */
export interface ReplayCache {
  /**
   * Records a proof, identified by `id` (its key's thumbprint and its `jti`) and issued at
   * `iat`, unless it was seen before. `now` is the clock in seconds.
   */
  claim(id: string, iat: number, now: number): ReplayVerdict;
  /** How many proofs are remembered now. */
  readonly size: number;
}

/**
 * A replay cache that never lets a replay through, even when full. Proofs are kept by the
 * second of their `iat` until that second leaves the window (a proof that old is refused
 * by the `iat` check anyway). When `maxEntries` are remembered, the proofs of the oldest
 * `iat` second are forgotten, and from then on every proof issued at or before that second
 * is refused as undecidable (a "floor"): the cache cannot say whether it saw it. Fresh proofs
 * (a client makes one per request) still pass; under a flood of valid proofs the window
 * shrinks rather than the check weakening. The other choices were worse: forgetting the
 * oldest proofs silently would let a captured proof be replayed once the flood pushed it
 * out, and refusing every new proof while full would lock out every client for a window.
 *
 * @example
 * ```ts
 * const replays = createReplayCache({ windowSeconds: 60, maxEntries: 100_000 });
 * if (replays.claim(`${jkt} ${jti}`, iat, Date.now() / 1000) !== 'fresh') refuse();
 * ```
 */
export function createReplayCache(options: ReplayCacheOptions): ReplayCache {
  const { windowSeconds, maxEntries } = options;
  const seconds = new Map<number, Set<string>>();
  let size = 0;
  let floor = -Infinity;
  let swept = -Infinity;

  const forget = (second: number): void => {
    size -= seconds.get(second)?.size ?? 0;
    seconds.delete(second);
  };
  // Once per second at most: the seconds that have left the window.
  const sweep = (now: number): void => {
    const current = Math.floor(now);
    if (current === swept) return;
    swept = current;
    for (const second of seconds.keys()) if (second < current - windowSeconds - 1) forget(second);
  };
  const forgetOldest = (): void => {
    let oldest = Infinity;
    for (const second of seconds.keys()) if (second < oldest) oldest = second;
    forget(oldest);
    floor = Math.max(floor, oldest);
  };

  return {
    get size() {
      return size;
    },
    claim(id, iat, now) {
      sweep(now);
      const second = Math.floor(iat);
      if (second <= floor) return 'undecidable';
      const seen = seconds.get(second);
      if (seen?.has(id)) return 'replayed';
      while (size >= maxEntries) forgetOldest();
      if (second <= floor) return 'undecidable';
      const bucket = seconds.get(second) ?? new Set<string>();
      if (bucket.size === 0) seconds.set(second, bucket);
      bucket.add(id);
      size += 1;
      return 'fresh';
    },
  };
}
