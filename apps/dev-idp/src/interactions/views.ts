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
  /** What was wrong with the typed credentials; marks the fields invalid. */
  error?: string;
  /** Why the user is asked again, when nothing they typed was wrong (an expired one-time code). */
  notice?: string;
}

export function loginPage({ uid, clientName, username, error, notice }: LoginView): string {
  const fieldState = invalidState(error ? 'login-error' : undefined);
  return renderDocument(
    'Sign in',
    html`<p>to continue to <strong>${clientName}</strong></p>
      ${alertMessage('login-error', error ?? notice)}
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
          ${fieldState}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          ${fieldState}
        />
        <button type="submit" class="primary">Sign in</button>
        ${cancelButton(uid)}
      </form>
      <p class="hint">
        This is the local development provider. The demo accounts are printed in the terminal it runs in.
      </p>`,
  );
}

export interface OneTimeCodeView {
  uid: string;
  clientName: string;
  userName: string;
  /** What was wrong with the typed code. */
  error?: string;
}

/** The second step of a sign-in that asked for ACR_OTP: the code the provider printed. */
export function oneTimeCodePage({ uid, clientName, userName, error }: OneTimeCodeView): string {
  const errorId = error ? 'code-error' : undefined;
  return renderDocument(
    'Enter your one-time code',
    html`<p>
        <strong>${clientName}</strong> asks for a second step to sign in as <strong>${userName}</strong>.
      </p>
      ${alertMessage('code-error', error)}
      <form method="post" action="/interaction/${encodeURIComponent(uid)}/otp" novalidate>
        <label for="code">One-time code</label>
        <input
          id="code"
          name="code"
          type="text"
          inputmode="numeric"
          autocomplete="one-time-code"
          pattern="[0-9]{6}"
          maxlength="6"
          required
          autofocus
          aria-invalid="${error ? 'true' : 'false'}"
          aria-describedby="${[errorId, 'code-hint'].filter(Boolean).join(' ')}"
        />
        <p id="code-hint" class="hint">
          6 digits, valid for 5 minutes. This local provider prints the code in the terminal it runs in.
        </p>
        <button type="submit" class="primary">Verify</button>
        ${cancelButton(uid)}
      </form>`,
  );
}

/** A message announced as soon as the page shows (WAI-ARIA `alert`); nothing without one. */
function alertMessage(id: string, message: string | undefined): Html | string {
  return message ? html`<p id="${id}" class="alert" role="alert">${message}</p>` : '';
}

/** aria-invalid, and the error that explains it, for the fields of a form that was refused. */
function invalidState(errorId: string | undefined): Html {
  return errorId ? html`aria-invalid="true" aria-describedby="${errorId}"` : html`aria-invalid="false"`;
}

/** Ends the sign-in with access_denied (the form's fields are not needed for that). */
function cancelButton(uid: string): Html {
  return html`<button
    type="submit"
    class="secondary"
    formaction="/interaction/${encodeURIComponent(uid)}/abort"
    formnovalidate
  >
    Cancel
  </button>`;
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
