import { describe, expect, it, vi } from 'vitest';
import {
  ONE_TIME_CODE_ATTEMPTS,
  ONE_TIME_CODE_TTL_SECONDS,
  OneTimeCodes,
  printOneTimeCode,
} from '../src/interactions/one-time-codes.ts';

/** A store whose clock the test moves. */
function storeWithClock(): { codes: OneTimeCodes; advance(seconds: number): void } {
  let now = Date.UTC(2025, 0, 1);
  return {
    codes: new OneTimeCodes(() => now),
    advance(seconds) {
      now += seconds * 1000;
    },
  };
}

/** A 6-digit code that is not `code`. */
function otherThan(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

describe('one-time codes', () => {
  it('are six random digits', () => {
    const codes = new OneTimeCodes();
    const issued = Array.from({ length: 50 }, (_, i) => codes.issue(`uid-${i}`, 'alice'));
    for (const code of issued) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(issued).size).toBeGreaterThan(45);
  });

  it('accept the right code once, for the account it was issued to', () => {
    const codes = new OneTimeCodes();
    const code = codes.issue('uid-1', 'alice');
    expect(codes.pendingAccount('uid-1')).toBe('alice');
    expect(codes.check('uid-1', code)).toEqual({ outcome: 'accepted', accountId: 'alice' });
    expect(codes.check('uid-1', code)).toEqual({ outcome: 'expired' });
    expect(codes.pendingAccount('uid-1')).toBeUndefined();
  });

  it('work only in the sign-in they were issued for', () => {
    const codes = new OneTimeCodes();
    const aliceCode = codes.issue('uid-alice', 'alice');
    codes.issue('uid-bob', 'bob');
    expect(codes.check('uid-bob', aliceCode).outcome).not.toBe('accepted');
    expect(codes.check('uid-elsewhere', aliceCode)).toEqual({ outcome: 'expired' });
  });

  it('accept the code typed with spaces', () => {
    const codes = new OneTimeCodes();
    const code = codes.issue('uid-1', 'alice');
    expect(codes.check('uid-1', ` ${code.slice(0, 3)} ${code.slice(3)} `).outcome).toBe('accepted');
  });

  it('refuse a wrong code and count the attempts left', () => {
    const codes = new OneTimeCodes();
    const code = codes.issue('uid-1', 'alice');
    expect(codes.check('uid-1', otherThan(code))).toEqual({
      outcome: 'wrong',
      accountId: 'alice',
      attemptsLeft: ONE_TIME_CODE_ATTEMPTS - 1,
    });
    expect(codes.check('uid-1', '')).toMatchObject({
      outcome: 'wrong',
      attemptsLeft: ONE_TIME_CODE_ATTEMPTS - 2,
    });
    expect(codes.check('uid-1', code).outcome).toBe('accepted');
  });

  it(`are gone after ${ONE_TIME_CODE_ATTEMPTS} wrong attempts, even the right code after them`, () => {
    const codes = new OneTimeCodes();
    const code = codes.issue('uid-1', 'alice');
    for (let i = 1; i < ONE_TIME_CODE_ATTEMPTS; i++)
      expect(codes.check('uid-1', otherThan(code)).outcome).toBe('wrong');
    expect(codes.check('uid-1', otherThan(code))).toEqual({ outcome: 'exhausted' });
    expect(codes.check('uid-1', code)).toEqual({ outcome: 'expired' });
  });

  it('do not get more attempts when the password is typed again', () => {
    const codes = new OneTimeCodes();
    const first = codes.issue('uid-1', 'alice');
    for (let i = 1; i < ONE_TIME_CODE_ATTEMPTS; i++) codes.check('uid-1', otherThan(first));
    const second = codes.issue('uid-1', 'alice');
    expect(codes.check('uid-1', otherThan(second))).toEqual({ outcome: 'exhausted' });
  });

  it(`expire after ${ONE_TIME_CODE_TTL_SECONDS / 60} minutes`, () => {
    const { codes, advance } = storeWithClock();
    const code = codes.issue('uid-1', 'alice');
    advance(ONE_TIME_CODE_TTL_SECONDS - 1);
    expect(codes.pendingAccount('uid-1')).toBe('alice');
    advance(1);
    expect(codes.pendingAccount('uid-1')).toBeUndefined();
    expect(codes.check('uid-1', code)).toEqual({ outcome: 'expired' });
  });
});

describe('the default delivery', () => {
  it('prints one line on the console, naming the account', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      printOneTimeCode('alice', '123456');
      expect(log.mock.calls).toEqual([['One-time code for alice: 123456']]);
    } finally {
      log.mockRestore();
    }
  });
});
