import { AuthError } from '../errors.ts';

/** One interactive sign-in at a time: see {@link oneAtATime}. */
export interface SignInSlot<T> {
  /**
   * Starts `run`, or joins the one pending (the same promise: a second
   * request never races the first, DESIGN "Sign-in"). `signal` cancels only
   * a sign-in this call starts.
   */
  start(options?: { signal?: AbortSignal | undefined }): Promise<T>;
  /** Cancels the pending sign-in, if any: it rejects with `ERR_SIGN_IN_CANCELLED`. */
  cancel(): void;
}

/**
 * Keeps at most one `run` pending. `run` receives the signal that aborts it:
 * {@link SignInSlot.cancel}, or the caller's own signal.
 */
export function oneAtATime<T>(run: (signal: AbortSignal) => Promise<T>): SignInSlot<T> {
  let pending: { readonly promise: Promise<T>; readonly controller: AbortController } | undefined;
  return {
    start(options = {}) {
      if (pending !== undefined) return pending.promise;
      const controller = new AbortController();
      const signal =
        options.signal === undefined
          ? controller.signal
          : AbortSignal.any([controller.signal, options.signal]);
      const promise = run(signal).finally(() => {
        pending = undefined;
      });
      pending = { promise, controller };
      return promise;
    },
    cancel() {
      pending?.controller.abort(new AuthError('ERR_SIGN_IN_CANCELLED', 'The sign-in was cancelled.'));
    },
  };
}
