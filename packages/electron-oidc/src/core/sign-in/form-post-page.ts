import { createHash } from 'node:crypto';
import { escapeHtml, RESULT_PAGE_HEADERS, renderDocument } from './result-page.ts';

/** The page's only script: it submits the form as soon as the page has loaded. */
const SUBMIT_SCRIPT = 'document.forms[0].submit();';
const SUBMIT_SCRIPT_HASH = createHash('sha256').update(SUBMIT_SCRIPT).digest('base64');

/**
 * The headers of a form-post page: those of every loopback page, with the
 * one inline script allowed by its hash (CSP Level 3 §8.3), no `<base>`, and
 * no framing. `form-action` is left unset: the page's only form is the one
 * rendered here, and browsers also check `form-action` against the redirects
 * that follow the submission, which would stop providers whose sign-out
 * passes through other origins before the loopback redirect.
 */
export const FORM_POST_PAGE_HEADERS = Object.freeze({
  ...RESULT_PAGE_HEADERS,
  'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SUBMIT_SCRIPT_HASH}'; base-uri 'none'; frame-ancestors 'none'`,
});

/** What {@link renderFormPostPage} renders. */
export interface FormPost {
  title: string;
  /** Shown while the form is submitted, and beside the button when scripts are off. */
  message: string;
  /** The http(s) URL the form is posted to. */
  action: URL;
  fields: Readonly<Record<string, string>>;
  button: string;
}

/**
 * A page that POSTs `fields` to `action` on load (or on a click, without
 * scripts): how a value reaches a provider without being in a URL, where
 * launchers, history and logs would keep it (OIDC RP-Initiated Logout 1.0 §2
 * allows POST to the end-session endpoint).
 */
export function renderFormPostPage(post: FormPost): string {
  if (post.action.protocol !== 'https:' && post.action.protocol !== 'http:') {
    throw new TypeError(`a form can only be posted to an http(s) URL, not ${post.action.protocol}`);
  }
  const inputs = Object.entries(post.fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return renderDocument(
    post.title,
    '#0969da',
    'status',
    `<p>${escapeHtml(post.message)}</p>
<form method="post" action="${escapeHtml(post.action.href)}">
${inputs}
<button type="submit">${escapeHtml(post.button)}</button>
</form>
<script>${SUBMIT_SCRIPT}</script>`,
  );
}
