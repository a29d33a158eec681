import type { Logger } from '../../src/core/logger.ts';

/** A logger that keeps every line, prefixed with its level (`info …`, `warn …`, `error …`). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}
