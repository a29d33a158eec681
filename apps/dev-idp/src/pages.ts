/**
 * `@electron-oidc/dev-idp/pages`: the provider's login and error pages, the document
 * frame and Content Security Policy they are served with, and the demo users' avatars.
 * The second provider of the tests (`@electron-oidc/test-support/second-provider`)
 * shows the same pages, so the tests' browser helpers drive both providers alike.
 */
export { CONTENT_SECURITY_POLICY, html, renderDocument } from './interactions/html.ts';
export type { Html } from './interactions/html.ts';
export { errorPage, loginPage, WRONG_CREDENTIALS } from './interactions/views.ts';
export type { LoginView } from './interactions/views.ts';
export { avatarRoutes, avatarUrl } from './avatars.ts';
