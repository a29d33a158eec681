import { randomUUID } from 'node:crypto';

/**
 * Linux needs a D-Bus session with a Secret Service for the keychain tests; CI
 * runs them inside `dbus-run-session -- scripts/with-keyring.sh`. Outside one
 * they are skipped, loudly, rather than failing or touching a real keyring.
 */
export const keychainSkipReason =
  process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS
    ? 'no D-Bus session (run: dbus-run-session -- scripts/with-keyring.sh npx vitest run …)'
    : undefined;

if (keychainSkipReason) {
  console.warn(`NOTE: skipping the OS keychain tests: ${keychainSkipReason}`);
}

/** A service name no one else uses, so a test never sees or clobbers a real entry. */
export function testService(): string {
  return `electron-oidc-test-${randomUUID()}`;
}
