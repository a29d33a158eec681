import type { JWTPayload } from 'jose';
import { InsufficientUserAuthenticationError } from './errors.ts';
import type { AuthenticationRequirement } from './errors.ts';

/** What a route demands of the sign-in behind a token (RFC 9470). */
export interface AuthenticationPolicy {
  /** The `acr` the token must carry, compared exactly. */
  acr: string;
  /** The sign-in (`auth_time`) must be at most this many seconds old. */
  maxAgeSeconds: number;
  /** An `auth_time` up to this far in the future is taken as now (clocks drift apart). */
  clockToleranceSeconds: number;
}

/**
 * Checks that the token's sign-in is of the class (`acr`) and as recent (`auth_time`) as the
 * route demands; `now` is the clock in seconds. A missing or malformed `auth_time` counts as
 * too old, a missing `acr` as another class.
 *
 * @throws {InsufficientUserAuthenticationError} it is not; the error names what a new
 *   sign-in must request (RFC 9470 §3): `acr_values`, `max_age`, or both.
 *
 * @example
 * ```ts
 * requireAuthentication(token.claims, { acr: 'urn:electron-oidc:acr:otp', maxAgeSeconds: 300, clockToleranceSeconds: 30 }, Date.now() / 1000);
 * ```
 */
export function requireAuthentication(claims: JWTPayload, policy: AuthenticationPolicy, now: number): void {
  const { acr, maxAgeSeconds, clockToleranceSeconds } = policy;
  const authTime = claims.auth_time;
  const age = typeof authTime === 'number' && Number.isFinite(authTime) ? now - authTime : Number.NaN;
  const tooOld = !(age <= maxAgeSeconds && age >= -clockToleranceSeconds);
  const otherClass = claims.acr !== acr;
  if (!tooOld && !otherClass) return;
  const requirement: AuthenticationRequirement = {
    ...(otherClass ? { acrValues: acr } : {}),
    ...(tooOld ? { maxAge: maxAgeSeconds } : {}),
  };
  const reasons = [
    ...(otherClass ? [`a sign-in of class ${acr}`] : []),
    ...(tooOld ? [`a sign-in made within the last ${maxAgeSeconds} seconds`] : []),
  ];
  throw new InsufficientUserAuthenticationError(
    `This resource needs ${reasons.join(' and ')}; sign in again.`,
    requirement,
  );
}
