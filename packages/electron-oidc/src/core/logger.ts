/**
 * Where the library reports what happened. It is never handed a token, a
 * code or a secret: only what a support person may read.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The default logger: warnings and errors on the console, information dropped. */
export const consoleLogger: Logger = Object.freeze({
  info: () => {},
  warn: (message: string) => console.warn(`[electron-oidc] ${message}`),
  error: (message: string) => console.warn(`[electron-oidc] ${message}`),
});

/** A logger that drops everything, for tests and for apps that log elsewhere. */
export const silentLogger: Logger = Object.freeze({ info: () => {}, warn: () => {}, error: () => {} });
