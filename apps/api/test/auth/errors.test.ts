// The challenge each error builds (RFC 6750 §3), independent of HTTP.
import { describe, expect, it } from 'vitest';
import {
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  IssuerUnavailableError,
  UnauthorizedError,
} from '../../src/index.ts';

describe('WWW-Authenticate values', () => {
  it('no credentials: realm only, no error code (RFC 6750 §3.1)', () => {
    const err = new UnauthorizedError();
    expect(err.status).toBe(401);
    expect(err.headers('api')).toEqual({ 'WWW-Authenticate': 'Bearer realm="api"' });
  });

  it('invalid_request is a 400 with error and description', () => {
    const err = new InvalidRequestError('Two tokens.');
    expect(err.status).toBe(400);
    expect(err.wwwAuthenticate('api')).toBe(
      'Bearer realm="api", error="invalid_request", error_description="Two tokens."',
    );
  });

  it('insufficient_scope is a 403 naming the scope', () => {
    const err = new InsufficientScopeError(['read:messages']);
    expect(err.status).toBe(403);
    expect(err.wwwAuthenticate('api')).toBe(
      'Bearer realm="api", error="insufficient_scope", ' +
        'error_description="The access token does not grant the scope this resource needs: read:messages.", ' +
        'scope="read:messages"',
    );
  });

  it('a description cannot break out of its quoted string (no ", no \\, printable ASCII only)', () => {
    const err = new InvalidTokenError('bad "x", error="none" \\ é\r\nSet-Cookie: a=b');
    expect(err.wwwAuthenticate('api')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="bad ?x?, error=?none? ? ???Set-Cookie: a=b"',
    );
  });

  it('the 503 has Retry-After, no challenge, and keeps its reason out of the body', () => {
    const err = new IssuerUnavailableError('JWKS at https://idp/jwks: ECONNREFUSED');
    expect(err.status).toBe(503);
    expect(err.headers()).toEqual({ 'Retry-After': '5' });
    expect(err.wwwAuthenticate()).toBeUndefined();
    expect(JSON.stringify(err.body())).not.toContain('ECONNREFUSED');
  });
});
