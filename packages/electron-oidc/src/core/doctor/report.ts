/**
 * What `doctor` found. Each check answers one question a desktop app depends
 * on; its verdict says whether the app can work with the provider as configured.
 */

/**
 * `ok`: fine, or settled by a probe. `warn`: the app works with the limit the
 * message names, or doctor could not decide, and the message says what it saw
 * and what to check. `fail`: the provider's own answer proves the app cannot
 * work as configured; an advertised list alone never fails a check.
 */
export type Verdict = 'ok' | 'warn' | 'fail';

/** The checks, in the order they are reported. */
export type CheckId =
  | 'discovery'
  | 'issuer'
  | 'endpoints'
  | 'code-flow'
  | 'pkce'
  | 'client-authentication'
  | 'refresh-tokens'
  | 'offline-access'
  | 'iss-parameter'
  | 'end-session'
  | 'revocation'
  | 'signing-algorithms'
  | 'signing-keys'
  | 'authorization-request';

/** One finding. */
export interface DoctorCheck {
  readonly id: CheckId;
  readonly verdict: Verdict;
  /** What was found and what it means for the desktop app, in one or two sentences. */
  readonly message: string;
}

/** Everything `doctor` found about one provider and client. */
export interface DoctorReport {
  /** The configured issuer, as given. */
  readonly issuer: string;
  readonly clientId: string;
  readonly checks: readonly DoctorCheck[];
  /** False when any check failed: the app cannot sign in with this provider as configured. */
  readonly passed: boolean;
}

export function check(id: CheckId, verdict: Verdict, message: string): DoctorCheck {
  return Object.freeze({ id, verdict, message });
}
