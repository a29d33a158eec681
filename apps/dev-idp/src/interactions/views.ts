import { html, renderDocument } from './html.ts';
import type { Html } from './html.ts';

/** The one message for a wrong password and an unknown user alike, so neither reveals which usernames exist. */
export const WRONG_CREDENTIALS = 'Wrong username or password.';

const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Sign you in with your account',
  profile: 'See your name and picture',
  email: 'See your email address',
  offline_access: 'Stay signed in while you are away',
  'read:messages': 'Read your messages',
};

export interface LoginView {
  uid: string;
  clientName: string;
  username?: string;
  error?: string;
}

export function loginPage({ uid, clientName, username, error }: LoginView): string {
  const invalid = error ? 'true' : 'false';
  const describedBy = error ? 'login-error' : undefined;
  return renderDocument(
    'Sign in',
    html`<p>to continue to <strong>${clientName}</strong></p>
      ${error ? html`<p id="login-error" class="alert" role="alert">${error}</p>` : ''}
      <form method="post" action="/interaction/${encodeURIComponent(uid)}/login" novalidate>
        <label for="username">Username</label>
        <input
          id="username"
          name="username"
          type="text"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
          autofocus
          value="${username ?? ''}"
          aria-invalid="${invalid}"
          ${describedBy ? html`aria-describedby="${describedBy}"` : ''}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          aria-invalid="${invalid}"
          ${describedBy ? html`aria-describedby="${describedBy}"` : ''}
        />
        <button type="submit" class="primary">Sign in</button>
        <button type="submit" class="secondary" formaction="/interaction/${encodeURIComponent(uid)}/abort">
          Cancel
        </button>
      </form>
      <p class="hint">
        This is the local development provider. The demo accounts are printed in the terminal it runs in.
      </p>`,
  );
}

export interface ConsentView {
  uid: string;
  clientName: string;
  userName: string;
  /** Scopes not granted yet, OpenID ones and those of each resource server. */
  scopes: string[];
}

export function consentPage({ uid, clientName, userName, scopes }: ConsentView): string {
  const action = `/interaction/${encodeURIComponent(uid)}`;
  return renderDocument(
    'Allow access?',
    html`<p>
        <strong>${clientName}</strong> asks for access to your account, <strong>${userName}</strong>. It wants
        to:
      </p>
      <ul>
        ${scopes.map((scope) => html`<li>${SCOPE_DESCRIPTIONS[scope] ?? 'Use'} (<code>${scope}</code>)</li>`)}
      </ul>
      <form class="inline" method="post" action="${action}/confirm">
        <button type="submit" class="primary">Allow</button>
      </form>
      <form class="inline" method="post" action="${action}/abort">
        <button type="submit" class="secondary">Deny</button>
      </form>`,
  );
}

export function errorPage(title: string, message: string, details: Array<[string, string]> = []): string {
  return renderDocument(
    title,
    html`<p role="alert">${message}</p>
      ${
        details.length
          ? html`<dl>
              ${details.map(
                ([name, value]) =>
                  html`<dt>${name}</dt>
                    <dd><code>${value}</code></dd>`,
              )}
            </dl>`
          : ''
      }`,
  );
}

/** RP-initiated logout confirmation; `form` is oidc-provider's hidden form carrying its CSRF token. */
export function logoutPage(host: string, form: Html): string {
  return renderDocument(
    'Sign out',
    html`<p>Do you want to sign out of the provider at <strong>${host}</strong>?</p>
      ${form}
      <button type="submit" class="primary" form="op.logoutForm" name="logout" value="yes" autofocus>
        Sign out
      </button>
      <button type="submit" class="secondary" form="op.logoutForm">Stay signed in</button>`,
  );
}

export function loggedOutPage(clientName: string | undefined): string {
  return renderDocument(
    'Signed out',
    html`<p>
      You have been signed out${clientName ? html` of <strong>${clientName}</strong>` : ''}. You can close
      this tab.
    </p>`,
  );
}
