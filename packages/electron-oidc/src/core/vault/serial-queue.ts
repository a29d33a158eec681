/**
 * Runs tasks that share a name one after another, in call order, across every
 * caller in this process; a failed task does not stop the ones after it. A
 * vault names its entry so that a `clear()` at sign-out is never overtaken by
 * the `write()` of a rotated token issued before it.
 */
export class SerialQueue {
  /** The last pending task per name. */
  readonly #tails = new Map<string, Promise<void>>();

  run<T>(name: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(name) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(name, tail);
    void tail.then(() => {
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    });
    return result;
  }
}
