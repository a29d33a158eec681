import { ACR_OTP, ACR_PASSWORD } from './acr.ts';
import { IdpConfigError } from './config.ts';
import { startIdp } from './server.ts';
import { demoUsers } from './users.ts';

// `npm run idp`: the provider for local development, configured from IDP_* variables.
let idp;
try {
  idp = await startIdp();
} catch (error) {
  if (error instanceof IdpConfigError) {
    console.error(`dev-idp: cannot start. ${error.message}`);
    process.exit(1);
  }
  throw error;
}

console.log(`Local OpenID Provider listening
  issuer:        ${idp.issuer}
  discovery:     ${idp.issuer}/.well-known/openid-configuration
  client id:     ${idp.clientId} (public, native, PKCE S256)
  API resource:  ${idp.apiResource} (JWT access tokens, ${idp.config.accessTokenTtl} s)
  DPoP:          on, nonces ${idp.config.dpopNonce ? 'required' : 'not required'} (IDP_DPOP_NONCE)
  PAR:           on, ${idp.issuer}/request (not required)
  acr values:    ${ACR_PASSWORD} (password)
                 ${ACR_OTP} (password + one-time code, printed here)
  data folder:   ${idp.dataDir} (reset with: npm run idp:reset)
  demo users:
${demoUsers.map((user) => `    ${user.username} / ${user.password}  (${user.name}, ${user.email})`).join('\n')}
Press Ctrl+C to stop.`);

const running = idp;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`dev-idp: ${signal} received, closing.`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('dev-idp: error while closing:', error);
        process.exit(1);
      },
    );
  });
}
