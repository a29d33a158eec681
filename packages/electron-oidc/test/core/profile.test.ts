import { describe, expect, it } from 'vitest';
import { PROFILE_LIMITS, sanitizeProfile } from '../../src/core/profile.ts';

describe('sanitizeProfile', () => {
  it('keeps only sub, name, email and picture, as strings', () => {
    const profile = sanitizeProfile({
      sub: 'alice',
      name: 'Alice',
      email: 'alice@example.com',
      picture: 'http://127.0.0.1:4000/avatars/alice.svg',
      email_verified: true,
      nonce: 'n',
      roles: ['admin'],
    });
    expect(profile).toEqual({
      sub: 'alice',
      name: 'Alice',
      email: 'alice@example.com',
      picture: 'http://127.0.0.1:4000/avatars/alice.svg',
    });
  });

  it.each([
    'javascript:alert(1)',
    'data:image/png;base64,AAAA',
    'file:///etc/passwd',
    'not a url',
    'https://u:p@x.example/a.png',
  ])('drops a picture that is not a plain http(s) URL: %s', (picture) => {
    expect(sanitizeProfile({ sub: 'a', picture }).picture).toBeUndefined();
  });

  it('drops non-string values and caps lengths', () => {
    const profile = sanitizeProfile({ sub: 'a', name: { toString: () => 'x' }, email: 'e'.repeat(1000) });
    expect(profile.name).toBeUndefined();
    expect(profile.email).toHaveLength(PROFILE_LIMITS.email);
  });

  it('strips control and bidi-override characters from display text', () => {
    expect(sanitizeProfile({ sub: 'a', name: 'Al\u202eice\u0007' }).name).toBe('Alice');
  });

  it('completes missing fields from userinfo, the ID token winning', () => {
    const profile = sanitizeProfile(
      { sub: 'a', name: 'From ID token' },
      { name: 'Other', email: 'a@example.com' },
    );
    expect(profile).toEqual({ sub: 'a', name: 'From ID token', email: 'a@example.com' });
  });
});
