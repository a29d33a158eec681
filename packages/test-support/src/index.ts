export { launchBrowser, completeLogin, completeLogout } from './browser.ts';
export type { DemoCredentials } from './browser.ts';
