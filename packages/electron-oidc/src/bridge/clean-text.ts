const MAX_TEXT = 256;

/**
 * Untrusted text from claims or the API, made safe to hand over: strings only,
 * control and bidi-override characters removed (they can disguise a name),
 * trimmed and capped. The renderer still renders it as text, never as HTML.
 */
export function cleanText(value: unknown, max = MAX_TEXT): string | null {
  if (typeof value !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const cleaned = value.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  return cleaned === '' ? null : cleaned.slice(0, max);
}
