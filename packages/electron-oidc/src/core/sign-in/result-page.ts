/** What the browser tab shows when the provider sends the user back to the app. */
export interface ResultPage {
  /** Whether this reports success (changes the colour, nothing else). */
  ok: boolean;
  title: string;
  message: string;
}

/**
 * The headers of every loopback answer. The page loads nothing from anywhere
 * (`default-src 'none'`), cannot be framed, and sends no `Referer` that could
 * carry the authorization code elsewhere (RFC 9700 §4.2.4).
 */
export const RESULT_PAGE_HEADERS = Object.freeze({
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
});

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML; provider error descriptions are attacker-controllable. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/**
 * A small self-contained HTML document: inline style only, nothing loaded
 * from anywhere. `title` is escaped here; `bodyHtml` must already be safe.
 */
export function renderDocument(
  title: string,
  accent: string,
  role: 'status' | 'alert',
  bodyHtml: string,
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f6f8fa;color:#1f2328}
main{max-width:32rem;padding:2rem;border-radius:12px;background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.12);border-top:6px solid ${accent}}
h1{font-size:1.4rem;margin:0 0 .75rem}
p{line-height:1.5;margin:0}
button{margin-top:1rem;font:inherit;padding:.5rem 1rem}
</style>
</head>
<body>
<main role="${role}">
<h1>${escapeHtml(title)}</h1>
${bodyHtml}
</main>
</body>
</html>
`;
}

/** Renders a small self-contained HTML page (inline style only, no script, no remote resource). */
export function renderResultPage(page: ResultPage): string {
  return renderDocument(
    page.title,
    page.ok ? '#1a7f37' : '#b42318',
    page.ok ? 'status' : 'alert',
    `<p>${escapeHtml(page.message)}</p>`,
  );
}
