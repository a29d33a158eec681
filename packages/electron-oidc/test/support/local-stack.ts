// The stack lives in @electron-oidc/test-support, shared with the whole-system tests.
export { startLocalStack } from '@electron-oidc/test-support/local-stack';
export type { LocalStack, LocalStackOptions } from '@electron-oidc/test-support/local-stack';
