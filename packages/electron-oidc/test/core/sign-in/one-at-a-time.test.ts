import { describe, expect, it, vi } from 'vitest';
import { oneAtATime } from '../../../src/core/sign-in/one-at-a-time.ts';

/** A sign-in that waits until aborted, then rejects with the abort reason. */
const untilAborted = (signal: AbortSignal) =>
  new Promise<string>((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });

describe('one sign-in at a time (DESIGN "Sign-in")', () => {
  it('a second request while one is pending joins it: the same promise, one run', async () => {
    const run = vi.fn(untilAborted);
    const slot = oneAtATime(run);
    const first = slot.start();
    const second = slot.start();
    expect(second).toBe(first);
    expect(run).toHaveBeenCalledTimes(1);
    slot.cancel();
    await expect(first).rejects.toMatchObject({ code: 'ERR_SIGN_IN_CANCELLED' });
  });

  it('once it has settled, the next request starts a new one', async () => {
    let n = 0;
    const slot = oneAtATime(async () => `profile-${++n}`);
    expect(await slot.start()).toBe('profile-1');
    expect(await slot.start()).toBe('profile-2');
  });

  it("the caller's own signal aborts the sign-in it started", async () => {
    const slot = oneAtATime(untilAborted);
    const controller = new AbortController();
    const pending = slot.start({ signal: controller.signal });
    controller.abort(new Error('window closed'));
    await expect(pending).rejects.toThrow('window closed');
  });

  it('cancel with nothing pending does nothing', () => {
    expect(() => oneAtATime(untilAborted).cancel()).not.toThrow();
  });
});
