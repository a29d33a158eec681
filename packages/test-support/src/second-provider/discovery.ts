/** Discovery and the JWKS. */
import express from 'express';
import { API_SCOPE, OIDC_SCOPES } from './types.ts';
import type { ProviderContext } from './types.ts';

/** The discovery document: no revocation endpoint, and RFC 9207 `iss` not advertised. */
export function discoveryDocument(ctx: ProviderContext): Record<string, unknown> {
  const { issuer, origin } = ctx;
  return {
    issuer,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/oauth/token`,
    userinfo_endpoint: `${origin}/userinfo`,
    jwks_uri: `${origin}/.well-known/jwks.json`,
    end_session_endpoint: `${origin}/session/end`,
    scopes_supported: [...OIDC_SCOPES, API_SCOPE],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['none'],
    claims_supported: ['sub', 'iss', 'aud', 'azp', 'name', 'email', 'email_verified', 'picture'],
    // Deliberately absent: revocation_endpoint, authorization_response_iss_parameter_supported.
  };
}

export function discoveryRoutes(ctx: ProviderContext): express.Router {
  const router = express.Router();
  router.get('/.well-known/openid-configuration', (_req, res) => {
    res.json(discoveryDocument(ctx));
  });
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.json(ctx.key.jwks);
  });
  return router;
}
