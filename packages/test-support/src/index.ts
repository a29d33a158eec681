export {
  launchBrowser,
  completeLogin,
  completeLogout,
  completeStepUp,
  finishInteraction,
} from './browser.ts';
export type { DemoCredentials } from './browser.ts';
export { OpenInstances, TestVault, recordingLogger, storedRefreshToken } from './library-doubles.ts';
export type { RecordingLogger } from './library-doubles.ts';
export {
  ALICE,
  SCOPE,
  buildAuthorizationRequest,
  discover,
  signIn,
  startLoopbackTarget,
} from './oidc-client.ts';
export type { AuthorizationRequest, LoopbackTarget, ProviderInfo } from './oidc-client.ts';
export { FakeIssuer, TEST_AUDIENCE, TEST_CLIENT_ID, generateIssuerKey, refusingUrl } from './fake-issuer.ts';
export type { EndpointMode, FakeIssuerOptions, IssuerKey, SignOptions } from './fake-issuer.ts';
export { LOOPBACK_HOST, closeServer, freeLoopbackPort, listenOnLoopback } from './loopback.ts';
