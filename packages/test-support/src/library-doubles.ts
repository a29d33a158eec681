/**
 * Stand-ins a test plugs into the library in place of the real logger and the
 * OS keychain. They match the library's `Logger` and `Vault` by shape alone, so
 * they need nothing from the library.
 */

/** A logger that keeps its lines, so a test can read what was logged (and check no token ever was). */
export interface RecordingLogger {
  readonly lines: string[];
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
}

/** The refresh token inside a stored session entry (tests only). */
export function storedRefreshToken(value: string | undefined): string | undefined {
  return value === undefined ? undefined : (JSON.parse(value) as { refresh_token: string }).refresh_token;
}

/** An in-memory vault that outlives library instances, as the keychain does across launches; tests read `value`. */
export class TestVault {
  readonly kind = 'test-memory';
  readonly persistent = true;
  value: string | undefined;
  async read(): Promise<string | undefined> {
    return this.value;
  }
  async write(value: string): Promise<void> {
    this.value = value;
  }
  async clear(): Promise<void> {
    this.value = undefined;
  }
  /** The stored refresh token, if a session is stored. */
  get refreshToken(): string | undefined {
    return storedRefreshToken(this.value);
  }
}

/** The library instances a test started, closed together when it ends (as a quit app would). */
export class OpenInstances<T extends { close(): void }> {
  readonly list: T[] = [];
  /** Tracks `instance` and hands it back. */
  add(instance: T): T {
    this.list.push(instance);
    return instance;
  }
  /** Closes every tracked instance and forgets them. */
  closeAll(): void {
    for (const instance of this.list.splice(0)) instance.close();
  }
}
