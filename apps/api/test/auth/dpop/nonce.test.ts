// The API's stateless DPoP nonces (RFC 9449 §8, §9).
import { describe, expect, it } from 'vitest';
import { createDpopNonces } from '../../../src/index.ts';

describe('createDpopNonces', () => {
  it('accepts the current nonce in its slot and the next, not later', () => {
    let clock = 1_000_000_000_000;
    const nonces = createDpopNonces({ lifetimeSeconds: 60, now: () => clock });
    const nonce = nonces.current();
    expect(nonces.isValid(nonce)).toBe(true);
    clock += 60_000;
    expect(nonces.current()).not.toBe(nonce);
    expect(nonces.isValid(nonce)).toBe(true);
    clock += 60_000;
    expect(nonces.isValid(nonce)).toBe(false);
  });

  it("refuses a nonce of another secret, a changed one, and none, and is made of a header's characters", () => {
    const now = () => 1_000_000_000_000;
    const ours = createDpopNonces({ lifetimeSeconds: 60, now, secret: Buffer.alloc(32, 1) });
    const theirs = createDpopNonces({ lifetimeSeconds: 60, now, secret: Buffer.alloc(32, 2) });
    const nonce = ours.current();
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
    expect(ours.isValid(theirs.current())).toBe(false);
    expect(ours.isValid(`${nonce}x`)).toBe(false);
    expect(ours.isValid(nonce.replace(/^./, (c) => (c === '1' ? '2' : '1')))).toBe(false);
    expect(ours.isValid(undefined)).toBe(false);
    expect(ours.isValid('')).toBe(false);
  });
});
