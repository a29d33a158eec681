/** Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted (128 + SIGINT, as shells do). */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, interrupted: 130 });
