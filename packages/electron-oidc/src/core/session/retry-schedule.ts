/**
 * The delays, in milliseconds, between background refresh attempts while the
 * provider is unreachable; the last one repeats. Injectable so tests run fast.
 */
export type RetrySchedule = readonly number[];

/** 1 s, 2 s, 5 s, 15 s, 30 s, then every minute. */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = Object.freeze([
  1_000, 2_000, 5_000, 15_000, 30_000, 60_000,
]);

/** The delay before attempt `attempt` (0-based); the schedule's last delay repeats. */
export function retryDelay(schedule: RetrySchedule, attempt: number): number {
  if (schedule.length === 0) return 60_000;
  return schedule[Math.min(attempt, schedule.length - 1)] ?? 60_000;
}
