/**
 * Step-up authentication (RFC 9470): the API says a token's sign-in is not
 * strong or recent enough, and names what a new sign-in must request.
 */
import { AuthError } from './errors.ts';
import { tokenChallenges } from './www-authenticate.ts';

/** What a new sign-in must request for the API to accept its tokens (RFC 9470 §3). */
export interface StepUpRequirement {
  /** Authentication context classes, in the API's order of preference (`acr_values`); empty when it named none. */
  readonly acrValues: readonly string[];
  /** The greatest age, in seconds, the sign-in may have (`max_age`); `undefined` when it named none. */
  readonly maxAge: number | undefined;
}

/** How `fetchApi` answers a step-up challenge: reject with `ERR_STEP_UP_REQUIRED`, or sign in again and retry once. */
export type StepUpMode = 'reject' | 'auto';

/** RFC 9470 §3's error code. */
const INSUFFICIENT_USER_AUTHENTICATION = 'insufficient_user_authentication';
// An acr value is a string without spaces (OIDC Core §3.1.2.1: space-separated); a few, not long.
const ACR_VALUE = /^[\x21-\x7e]{1,255}$/;
const MAX_ACR_VALUES = 10;
const MAX_AGE = /^\d{1,9}$/;

/** The requirement a challenge's parameters name; `undefined` when a value is malformed (not guessed at). */
function requirementOf(params: Readonly<Record<string, string>>): StepUpRequirement | undefined {
  const acr = params.acr_values;
  const acrValues = acr === undefined ? [] : acr.split(' ').filter((value) => value !== '');
  if (acrValues.length > MAX_ACR_VALUES || !acrValues.every((value) => ACR_VALUE.test(value))) {
    return undefined;
  }
  const age = params.max_age;
  if (age !== undefined && !MAX_AGE.test(age)) return undefined;
  return { acrValues, maxAge: age === undefined ? undefined : Number(age) };
}

/**
 * The step-up requirement of an API answer: a 401 whose `WWW-Authenticate`
 * holds a `Bearer` or `DPoP` challenge with `error="insufficient_user_authentication"`
 * (RFC 9470 §3), with its `acr_values` and `max_age`. `undefined` for any
 * other answer, and for a challenge whose values are malformed.
 *
 * @example
 * ```ts
 * const requirement = stepUpRequirement(response);
 * if (requirement !== undefined) await auth.stepUp(requirement);
 * ```
 */
export function stepUpRequirement(response: Response): StepUpRequirement | undefined {
  if (response.status !== 401) return undefined;
  const challenge = tokenChallenges(response.headers.get('www-authenticate')).find(
    (c) => c.params.error === INSUFFICIENT_USER_AUTHENTICATION,
  );
  return challenge === undefined ? undefined : requirementOf(challenge.params);
}

/**
 * The authorization request's parameters for a step-up sign-in: `acr_values`
 * and `max_age` as the API named them (OIDC Core §3.1.2.1). When it named
 * neither, only a new sign-in can help, so `prompt=login` asks for one.
 */
export function stepUpParameters(requirement: StepUpRequirement): Record<string, string> {
  const parameters: Record<string, string> = {};
  if (requirement.acrValues.length > 0) parameters.acr_values = requirement.acrValues.join(' ');
  if (requirement.maxAge !== undefined) parameters.max_age = String(requirement.maxAge);
  if (Object.keys(parameters).length === 0) parameters.prompt = 'login';
  return parameters;
}

/** The error `fetchApi` rejects with when the API asks for a stronger sign-in and the caller did not allow one. */
export function stepUpRequired(requirement: StepUpRequirement): AuthError {
  return new AuthError(
    'ERR_STEP_UP_REQUIRED',
    'Sign in again to continue: the API asks for a stronger or more recent sign-in than the one you made.',
    { stepUp: requirement },
  );
}
