import { describe, expect, it } from 'vitest';
import { assertAppOrigin, isAppUrl, originOf } from '../../src/bridge/origin.ts';

describe('originOf', () => {
  it('gives scheme://host for the app scheme, which WHATWG URL would call "null"', () => {
    expect(new URL('app://desktop/index.html').origin).toBe('null');
    expect(originOf('app://desktop/index.html')).toBe('app://desktop');
  });

  it('gives the normalized origin for http(s), default port dropped', () => {
    expect(originOf('https://example.com:443/a?b#c')).toBe('https://example.com');
    expect(originOf('http://127.0.0.1:5173/')).toBe('http://127.0.0.1:5173');
  });

  it.each([
    ['file:///etc/passwd'],
    ['data:text/html,<script>alert(1)</script>'],
    ['blob:app://desktop/1234'],
    ['about:blank'],
    ['javascript:alert(1)'],
    ['devtools://devtools/bundled/inspector.html'],
    ['app:///no-host'],
    ['app://user:pass@desktop/'],
    ['not a url'],
    [''],
    ['null'],
  ])('has no trusted origin for %s', (url) => {
    expect(originOf(url)).toBeUndefined();
  });
});

describe('isAppUrl', () => {
  const appOrigin = 'app://desktop';

  it('accepts any page of the app', () => {
    expect(isAppUrl('app://desktop/', appOrigin)).toBe(true);
    expect(isAppUrl('app://desktop/deep/page.html?x=1#y', appOrigin)).toBe(true);
  });

  it.each([
    ['another host', 'app://desktop.evil/'],
    ['a host with the app as a prefix', 'app://desktopx/'],
    ['a port', 'app://desktop:8080/'],
    ['another scheme', 'https://desktop/'],
    ['a file', 'file:///app/index.html'],
    ['a null origin', 'data:text/html,hi'],
  ])('refuses %s', (_what, url) => {
    expect(isAppUrl(url, appOrigin)).toBe(false);
  });

  it('compares http origins exactly, port included', () => {
    expect(isAppUrl('http://127.0.0.1:5173/x', 'http://127.0.0.1:5173')).toBe(true);
    expect(isAppUrl('http://127.0.0.1:5174/x', 'http://127.0.0.1:5173')).toBe(false);
    expect(isAppUrl('http://localhost:5173/x', 'http://127.0.0.1:5173')).toBe(false);
  });
});

describe('assertAppOrigin', () => {
  it.each([['app://desktop/'], ['app://desktop/index.html'], ['null'], ['file://'], [''], [42]])(
    'refuses %s, which is not written as an origin',
    (value) => {
      expect(() => assertAppOrigin(value)).toThrow(TypeError);
    },
  );

  it('accepts an origin', () => {
    expect(assertAppOrigin('app://desktop')).toBe('app://desktop');
  });
});
