import type { Logger } from '../core/logger.ts';

/** Where output goes; `process.stdout` and `process.stderr` fit. */
export interface Writer {
  write(text: string): unknown;
}

/** The two streams a command writes to, and its one-line failure report on stderr. */
export interface Terminal {
  readonly stdout: Writer;
  readonly stderr: Writer;
  /** Writes `electron-oidc: <message>` on stderr, on one line. */
  fail(message: string): void;
}

export function terminalOf(stdout: Writer, stderr: Writer): Terminal {
  return { stdout, stderr, fail: (message) => stderr.write(`electron-oidc: ${oneLine(message)}\n`) };
}

/** Messages go out on one line: a reason never spills over into what a script reads next. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The library's warnings and errors on stderr; its information lines only with `--verbose`. */
export function cliLogger(stderr: Writer, verbose: boolean): Logger {
  return {
    info: (message) => {
      if (verbose) stderr.write(`electron-oidc: ${oneLine(message)}\n`);
    },
    warn: (message) => stderr.write(`warning: ${oneLine(message)}\n`),
    error: (message) => stderr.write(`warning: ${oneLine(message)}\n`),
  };
}
