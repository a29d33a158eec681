import * as client from 'openid-client';
import { isAuthError } from './errors.ts';
import type { Logger } from './logger.ts';
import { isProfileIncomplete, sanitizeProfile } from './profile.ts';
import type { Profile } from './profile.ts';
import { toAuthError } from './provider-errors.ts';
import type { TokenSession } from './session/token-session.ts';

/** After a transient userinfo failure, the profile is not completed again for this long. */
export const USERINFO_RETRY_MS = 30_000;

/** What {@link createProfileReader} reads from. */
export interface ProfileSources {
  /** The signed-in user's session: the ID token's claims, and an access token for userinfo. */
  session: Pick<TokenSession, 'subject' | 'claims' | 'generation' | 'getAccessCredential'>;
  /** The provider's openid-client configuration (`ProviderConnection.get`). */
  provider: () => Promise<client.Configuration>;
  logger: Logger;
  /** Milliseconds since the epoch. */
  now: () => number;
}

/**
 * What userinfo answered for one session (its `generation`). After a failure
 * `claims` is empty, and a transient failure carries when to ask again.
 */
interface Answer {
  readonly generation: number;
  readonly claims: Record<string, unknown>;
  readonly retryAt?: number;
}

/**
 * Creates `getProfile`: the signed-in user's sanitized profile, from the ID
 * token's claims, completed from the userinfo endpoint (OIDC Core §5.3) when
 * they lack a name, email or picture, as many providers issue them. Userinfo
 * is asked once per session: a provider that said no is not asked again, a
 * transient failure (network, 5xx) after {@link USERINFO_RETRY_MS}. Never
 * rejects: a failure leaves the profile as the ID token has it.
 */
export function createProfileReader(sources: ProfileSources): () => Promise<Profile | undefined> {
  const { session } = sources;
  let answer: Answer | undefined;
  const answerNow = () => (answer?.generation === session.generation ? answer : undefined);

  const ask = async (sub: string, generation: number): Promise<Answer> => {
    try {
      const provider = await sources.provider();
      if (provider.serverMetadata().userinfo_endpoint === undefined) return { generation, claims: {} };
      const { accessToken, dpopKey } = await session.getAccessCredential();
      // OIDC Core §5.3.2: openid-client checks the userinfo `sub` equals ours. A DPoP-bound
      // token goes with a proof (RFC 9449 §7.1), retried once on `use_dpop_nonce` (§9).
      const info = await client.fetchUserInfo(
        provider,
        accessToken,
        sub,
        dpopKey === undefined ? undefined : { DPoP: dpopKey.handle(provider) },
      );
      return { generation, claims: info as unknown as Record<string, unknown> };
    } catch (err) {
      sources.logger.info(
        `The profile could not be completed from the userinfo endpoint: ${err instanceof Error ? err.message : String(err)}`,
      );
      // "The provider said no" holds for the session; "the network failed" only for a while,
      // or a provider whose profile lives in userinfo alone would leave it incomplete until sign-out.
      const transient = isAuthError(toAuthError(err, 'userinfo'), 'ERR_PROVIDER_UNREACHABLE', 'ERR_OFFLINE');
      return { generation, claims: {}, ...(transient ? { retryAt: sources.now() + USERINFO_RETRY_MS } : {}) };
    }
  };

  return async () => {
    const sub = session.subject;
    if (sub === undefined) return undefined;
    const claims = session.claims ?? { sub };
    const known = answerNow();
    const profile = sanitizeProfile(claims, known?.claims);
    if (!isProfileIncomplete(profile)) return profile;
    if (known !== undefined && (known.retryAt ?? Infinity) > sources.now()) return profile;
    const fresh = await ask(sub, session.generation);
    // A session replaced or ended while userinfo answered: its answer is not this session's.
    if (fresh.generation !== session.generation) return profile;
    answer = fresh;
    return sanitizeProfile(claims, fresh.claims);
  };
}
