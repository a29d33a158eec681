// The replay cache (RFC 9449 §11.1): a replay never passes while the proof could be taken,
// not even once the cache is full. `until` is the last second the proof checks would take it.
import { describe, expect, it } from 'vitest';
import { createReplayCache } from '../../../src/index.ts';

describe('createReplayCache', () => {
  it('takes a proof once, and refuses it again while it could be taken', () => {
    const cache = createReplayCache({ maxEntries: 10 });
    expect(cache.claim('k a', 1_060, 1_000)).toBe('fresh');
    expect(cache.claim('k a', 1_060, 1_030)).toBe('replayed');
    expect(cache.claim('k a', 1_060, 1_060)).toBe('replayed');
    expect(cache.claim('k b', 1_060, 1_030)).toBe('fresh');
    expect(cache.size).toBe(2);
  });

  it('forgets proofs once they can no longer be taken (the proof checks refuse them anyway)', () => {
    const cache = createReplayCache({ maxEntries: 10 });
    cache.claim('k a', 1_060, 1_000);
    cache.claim('k b', 1_161, 1_101);
    expect(cache.size).toBe(1);
  });

  // A proof let in by a nonce with an iat far in the past: keyed on iat, it would have been
  // forgotten at once, and could have been replayed for as long as the nonce lived.
  it('keeps a proof taken long after its iat until it runs out, not until its iat leaves a window', () => {
    const cache = createReplayCache({ maxEntries: 10 });
    expect(cache.claim('k late', 1_600, 1_000)).toBe('fresh');
    cache.claim('k other', 1_400, 1_300);
    expect(cache.claim('k late', 1_600, 1_599)).toBe('replayed');
  });

  it('when full, forgets the earliest-ending second and refuses every proof ending that early from then on', () => {
    const cache = createReplayCache({ maxEntries: 3 });
    expect(cache.claim('k a', 1_060, 1_010)).toBe('fresh');
    expect(cache.claim('k b', 1_061, 1_010)).toBe('fresh');
    expect(cache.claim('k c', 1_062, 1_010)).toBe('fresh');
    // Full: the proofs ending at second 1060 are forgotten, and the floor rises to 1060.
    expect(cache.claim('k d', 1_065, 1_010)).toBe('fresh');
    expect(cache.size).toBe(3);
    // The forgotten proof cannot come back, nor any other ending as early.
    expect(cache.claim('k a', 1_060, 1_010)).toBe('undecidable');
    expect(cache.claim('k e', 1_059, 1_010)).toBe('undecidable');
    // Later ones are still told apart.
    expect(cache.claim('k b', 1_061, 1_010)).toBe('replayed');
    expect(cache.claim('k f', 1_070, 1_010)).toBe('fresh');
  });

  it('refuses a new proof whose own second had to be forgotten to make room', () => {
    const cache = createReplayCache({ maxEntries: 2 });
    cache.claim('k a', 1_060, 1_000);
    cache.claim('k b', 1_060, 1_000);
    expect(cache.claim('k c', 1_060, 1_000)).toBe('undecidable');
    expect(cache.claim('k a', 1_060, 1_000)).toBe('undecidable');
    expect(cache.claim('k d', 1_061, 1_001)).toBe('fresh');
  });
});
