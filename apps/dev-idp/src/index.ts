export { startIdp } from './server.ts';
export type { IdpOptions, RunningIdp } from './server.ts';
export { loadIdpConfig, IdpConfigError } from './config.ts';
export type { IdpConfig } from './config.ts';
export { demoUsers } from './users.ts';
export type { DemoUser } from './users.ts';
export { API_SCOPE } from './provider.ts';
export { ACR_OTP, ACR_PASSWORD, ACR_VALUES } from './acr.ts';
export type { OneTimeCodeListener } from './interactions/one-time-codes.ts';
