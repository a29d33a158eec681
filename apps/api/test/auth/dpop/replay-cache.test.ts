// The replay cache (RFC 9449 §11.1): a replay never passes, not even once the cache is full.
import { describe, expect, it } from 'vitest';
import { createReplayCache } from '../../../src/index.ts';

describe('createReplayCache', () => {
  it('takes a proof once, and refuses it again within the window', () => {
    const cache = createReplayCache({ windowSeconds: 60, maxEntries: 10 });
    expect(cache.claim('k a', 1_000, 1_000)).toBe('fresh');
    expect(cache.claim('k a', 1_000, 1_030)).toBe('replayed');
    expect(cache.claim('k b', 1_000, 1_030)).toBe('fresh');
    expect(cache.size).toBe(2);
  });

  it('forgets proofs whose iat has left the window (the iat check refuses them anyway)', () => {
    const cache = createReplayCache({ windowSeconds: 60, maxEntries: 10 });
    cache.claim('k a', 1_000, 1_000);
    cache.claim('k b', 1_100, 1_100);
    expect(cache.size).toBe(1);
  });

  it('when full, forgets the oldest iat second and refuses every proof that old from then on', () => {
    const cache = createReplayCache({ windowSeconds: 60, maxEntries: 3 });
    expect(cache.claim('k a', 1_000, 1_010)).toBe('fresh');
    expect(cache.claim('k b', 1_001, 1_010)).toBe('fresh');
    expect(cache.claim('k c', 1_002, 1_010)).toBe('fresh');
    // Full: the proofs of second 1000 are forgotten, and the floor rises to 1000.
    expect(cache.claim('k d', 1_005, 1_010)).toBe('fresh');
    expect(cache.size).toBe(3);
    // The forgotten proof cannot come back, nor any other as old.
    expect(cache.claim('k a', 1_000, 1_010)).toBe('undecidable');
    expect(cache.claim('k e', 999, 1_010)).toBe('undecidable');
    // Newer ones are still told apart.
    expect(cache.claim('k b', 1_001, 1_010)).toBe('replayed');
    expect(cache.claim('k f', 1_010, 1_010)).toBe('fresh');
  });

  it('refuses a new proof whose own second had to be forgotten to make room', () => {
    const cache = createReplayCache({ windowSeconds: 60, maxEntries: 2 });
    cache.claim('k a', 1_000, 1_000);
    cache.claim('k b', 1_000, 1_000);
    expect(cache.claim('k c', 1_000, 1_000)).toBe('undecidable');
    expect(cache.claim('k a', 1_000, 1_000)).toBe('undecidable');
    expect(cache.claim('k d', 1_001, 1_001)).toBe('fresh');
  });
});
