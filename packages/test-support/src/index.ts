export { launchBrowser, completeLogin, completeLogout } from './browser.ts';
export type { DemoCredentials } from './browser.ts';
export {
  ALICE,
  SCOPE,
  buildAuthorizationRequest,
  discover,
  signIn,
  startLoopbackTarget,
} from './oidc-client.ts';
export type { AuthorizationRequest, LoopbackTarget, ProviderInfo } from './oidc-client.ts';
