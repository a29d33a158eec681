/**
 * The user as the app may show them: a few strings, never the raw claims
 * (DESIGN "The renderer and the bridge").
 */
export interface Profile {
  readonly sub: string;
  readonly name?: string;
  readonly email?: string;
  /** An http(s) URL of the user's picture; fetch it in the main process, never in the renderer. */
  readonly picture?: string;
}

/** Longest string kept per field; longer ones are cut. */
export const PROFILE_LIMITS = Object.freeze({ sub: 255, name: 200, email: 320, picture: 2048 });

function text(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Control characters have no place in a display name and can spoof text direction.
  // eslint-disable-next-line no-control-regex
  const cleaned = value.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  if (cleaned === '') return undefined;
  return cleaned.length > max ? cleaned.slice(0, max) : cleaned;
}

function pictureUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > PROFILE_LIMITS.picture) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    if (url.username || url.password) return undefined;
    return url.href;
  } catch {
    return undefined;
  }
}

/**
 * Builds a {@link Profile} from verified ID token claims, filling fields the
 * ID token lacks from the userinfo response (OIDC Core §5.3.2; its `sub` must
 * match, which openid-client checks). Strings only, lengths capped, the
 * picture only when it is an http(s) URL.
 */
export function sanitizeProfile(
  claims: { readonly sub: string; readonly [claim: string]: unknown },
  userinfo?: { readonly [claim: string]: unknown },
): Profile {
  const pick = (name: 'name' | 'email'): string | undefined =>
    text(claims[name], PROFILE_LIMITS[name]) ?? text(userinfo?.[name], PROFILE_LIMITS[name]);
  const name = pick('name');
  const email = pick('email');
  const picture = pictureUrl(claims.picture) ?? pictureUrl(userinfo?.picture);
  return Object.freeze({
    sub: claims.sub.slice(0, PROFILE_LIMITS.sub),
    ...(name === undefined ? {} : { name }),
    ...(email === undefined ? {} : { email }),
    ...(picture === undefined ? {} : { picture }),
  });
}

/** Whether the profile lacks a field userinfo might supply. */
export function isProfileIncomplete(profile: Profile): boolean {
  return profile.name === undefined || profile.email === undefined || profile.picture === undefined;
}
