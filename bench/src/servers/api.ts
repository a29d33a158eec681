// The project's API built as `src/main.ts` builds it (`createApi` with the configured logger:
// LOG_LEVEL, asynchronous stdout, which the orchestrator drains), in an IPC child so that the
// first-seen scenario can empty its token cache between rounds. TOKEN_CACHE=on|off as in production.
import { createApi, createVerifierFromConfig, loadApiConfig } from '@electron-oidc/api';
import { serveBenchTarget } from './common.ts';

const config = { ...loadApiConfig(process.env), port: 0 };
const verifier = createVerifierFromConfig(config);
const app = createApi(config, { verifier });
await serveBenchTarget(app, (request) => {
  if (request.type !== 'clear-token-cache') throw new Error(`unknown request ${request.type}`);
  // Only the first-seen scenario uses this, to replay the same tokens as first-seen ones.
  if ('clear' in verifier && typeof verifier.clear === 'function') verifier.clear();
  return null;
});
