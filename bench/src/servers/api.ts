// The project's API, as `createApi` builds it, with the request log off (the reference servers
// log nothing either). TOKEN_CACHE=on|off as in production.
import { createApi, createVerifierFromConfig, loadApiConfig } from '@electron-oidc/api';
import { serveBenchTarget } from './common.ts';

const config = { ...loadApiConfig(process.env), port: 0 };
const verifier = createVerifierFromConfig(config);
const app = createApi(config, { verifier, log: () => {} });
await serveBenchTarget(app, (request) => {
  if (request.type !== 'clear-token-cache') throw new Error(`unknown request ${request.type}`);
  // Only the first-seen scenario uses this, to replay the same tokens as first-seen ones.
  if ('clear' in verifier && typeof verifier.clear === 'function') verifier.clear();
  return null;
});
