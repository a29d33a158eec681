export { launchBrowser, completeLogin } from './browser.ts';
export type { DemoCredentials } from './browser.ts';
