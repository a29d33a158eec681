import { createHash } from 'node:crypto';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * Tagged template that escapes every interpolated value unless it is already
 * markup made by this tag (an {@link Html}); arrays are joined.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += toMarkup(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Markup that is safe to insert as is. */
export class Html {
  readonly markup: string;

  constructor(markup: string) {
    this.markup = markup;
  }

  toString(): string {
    return this.markup;
  }
}

function toMarkup(value: unknown): string {
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map(toMarkup).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

const STYLE = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0; padding: 2rem 1rem; background: Canvas; color: CanvasText; }
main { max-width: 26rem; margin: 0 auto; padding: 1.5rem 2rem 2rem; border: 1px solid GrayText; border-radius: 0.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin-top: 1rem; }
input { display: block; box-sizing: border-box; width: 100%; margin-top: 0.25rem; padding: 0.5rem; font: inherit; }
input[aria-invalid="true"] { border: 2px solid #c5221f; }
button { font: inherit; padding: 0.5rem 1.25rem; margin-top: 1.5rem; margin-right: 0.5rem; cursor: pointer; }
button.primary { background: #1a56db; color: #fff; border: 1px solid #1a56db; border-radius: 0.25rem; }
button.secondary { background: transparent; color: inherit; border: 1px solid GrayText; border-radius: 0.25rem; }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.alert { padding: 0.75rem; border-left: 4px solid #c5221f; background: color-mix(in srgb, #c5221f 12%, Canvas); }
.hint { color: GrayText; font-size: 0.9rem; }
ul { padding-left: 1.25rem; }
code { font-size: 0.9em; }
form.inline { display: inline; }
`;

/**
 * Content Security Policy for every page this provider renders: nothing
 * loads from elsewhere, no script runs, and no other site may frame the pages
 * (clickjacking of the login and consent buttons). The one stylesheet is
 * allowed by its hash (CSP Level 3 §2.3.1).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "img-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A whole, self-contained HTML document: one `<main>` whose heading is the title. */
export function renderDocument(title: string, body: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · Local OpenID Provider</title>
        <style>
          ${new Html(STYLE)}
        </style>
      </head>
      <body>
        <main>
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html> `.markup;
}
