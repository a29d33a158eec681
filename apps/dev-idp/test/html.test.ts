import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../src/interactions/html.ts';
import { consentPage } from '../src/interactions/views.ts';

describe('HTML escaping', () => {
  it('escapes the characters that could end text or an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#60;/a&#62;',
    );
  });

  it('escapes every interpolated value but keeps nested templates as markup', () => {
    const evil = '<script>alert(1)</script>';
    expect(html`<p>${evil}${html`<b>${evil}</b>`}</p>`.markup).toBe(
      '<p>&#60;script&#62;alert(1)&#60;/script&#62;<b>&#60;script&#62;alert(1)&#60;/script&#62;</b></p>',
    );
  });

  it('escapes the client name and scopes shown on the consent page', () => {
    const page = consentPage({
      uid: 'u"id',
      clientName: '<img src=x onerror=alert(1)>',
      userName: 'Alice',
      scopes: ['<b>scope</b>'],
    });
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>scope');
    expect(page).toContain('action="/interaction/u%22id/confirm"');
  });
});
