import { describe, expect, it, vi } from 'vitest';
import type { BrowserWindow, Session, WebContents } from 'electron';

vi.mock('electron', () => ({}));

const { hardenSession, hardenWebContents, hardenWindow } = await import('../../src/electron/harden.ts');
const { APP_CONTENT_SECURITY_POLICY } = await import('../../src/electron/app-files.ts');

const APP = 'app://desktop';
const quiet = { appOrigin: APP, log: () => {} };

type Listener = (...args: unknown[]) => void;

function fakeWebContents() {
  const listeners = new Map<string, Listener[]>();
  let windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  const contents = {
    on(event: string, listener: Listener) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return contents;
    },
    setWindowOpenHandler(handler: typeof windowOpenHandler) {
      windowOpenHandler = handler;
    },
  };
  /** Emits an Electron-style event and says whether a listener prevented it. */
  const emit = (event: string, url: string): boolean => {
    let prevented = false;
    const details = { url, preventDefault: () => void (prevented = true) };
    for (const listener of listeners.get(event) ?? []) listener(details, url);
    return prevented;
  };
  return {
    contents: contents as unknown as WebContents,
    emit,
    openWindow: (url: string) => windowOpenHandler?.({ url }),
  };
}

describe('hardenWebContents', () => {
  it.each(['will-navigate', 'will-frame-navigate', 'will-redirect'])('lets %s stay on the app', (event) => {
    const { contents, emit } = fakeWebContents();
    hardenWebContents(contents, quiet);
    expect(emit(event, 'app://desktop/index.html')).toBe(false);
  });

  it.each(['will-navigate', 'will-frame-navigate', 'will-redirect'])('cancels %s anywhere else', (event) => {
    const { contents, emit } = fakeWebContents();
    hardenWebContents(contents, quiet);
    for (const url of [
      'https://evil.example/',
      'http://127.0.0.1:4000/auth',
      'file:///etc/passwd',
      'data:text/html,x',
      'app://other/',
      'javascript:alert(1)',
    ]) {
      expect(emit(event, url)).toBe(true);
    }
  });

  it('denies every new window, even one for the app itself', () => {
    const { contents, openWindow } = fakeWebContents();
    hardenWebContents(contents, quiet);
    expect(openWindow('https://evil.example/')).toEqual({ action: 'deny' });
    expect(openWindow('app://desktop/')).toEqual({ action: 'deny' });
  });

  it('refuses to attach a <webview>', () => {
    const { contents, emit } = fakeWebContents();
    hardenWebContents(contents, quiet);
    expect(emit('will-attach-webview', 'app://desktop/')).toBe(true);
  });

  it('hardenWindow hardens the window contents', () => {
    const { contents, emit } = fakeWebContents();
    hardenWindow({ webContents: contents } as BrowserWindow, quiet);
    expect(emit('will-navigate', 'https://evil.example/')).toBe(true);
  });

  it('refuses an appOrigin that is not an origin', () => {
    const { contents } = fakeWebContents();
    expect(() => hardenWebContents(contents, { appOrigin: 'app://desktop/' })).toThrow(TypeError);
  });
});

function fakeSession() {
  const handlers: Record<string, (...args: never[]) => unknown> = {};
  const session = {
    setPermissionRequestHandler: (h: never) => void (handlers.request = h),
    setPermissionCheckHandler: (h: never) => void (handlers.check = h),
    setDevicePermissionHandler: (h: never) => void (handlers.device = h),
    webRequest: {
      onBeforeRequest: (h: never) => void (handlers.beforeRequest = h),
      onHeadersReceived: (h: never) => void (handlers.headersReceived = h),
    },
  };
  return {
    session: session as unknown as Session,
    handlers: handlers as Record<string, (...args: unknown[]) => unknown>,
  };
}

describe('hardenSession', () => {
  it.each(['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'hid'])(
    'denies the permission request "%s"',
    (permission) => {
      const { session, handlers } = fakeSession();
      hardenSession(session, quiet);
      const answers: boolean[] = [];
      handlers.request!({}, permission, (granted: boolean) => answers.push(granted), {});
      expect(answers).toEqual([false]);
    },
  );

  it('answers every permission check and device request with no', () => {
    const { session, handlers } = fakeSession();
    hardenSession(session, quiet);
    expect(handlers.check!(null, 'media', APP, {})).toBe(false);
    expect(handlers.device!({ deviceType: 'usb', origin: APP })).toBe(false);
  });

  function beforeRequest(url: string, webContentsId: number | undefined): { cancel?: boolean } {
    const { session, handlers } = fakeSession();
    hardenSession(session, quiet);
    let answer: { cancel?: boolean } = {};
    handlers.beforeRequest!({ url, webContentsId }, (a: { cancel?: boolean }) => (answer = a));
    return answer;
  }

  it("lets a renderer load the app's own files and data: images", () => {
    expect(beforeRequest('app://desktop/app.js', 1)).toEqual({ cancel: false });
    expect(beforeRequest('data:image/png;base64,AAAA', 1)).toEqual({ cancel: false });
  });

  it.each(['https://evil.example/x', 'http://127.0.0.1:3000/private', 'file:///etc/passwd', 'app://other/x'])(
    'cancels a renderer request to %s',
    (url) => {
      expect(beforeRequest(url, 1)).toEqual({ cancel: true });
    },
  );

  it('leaves requests the main process makes itself alone', () => {
    expect(beforeRequest('file:///app/dist/renderer/index.html', undefined)).toEqual({ cancel: false });
  });

  it("sets the CSP on the app's responses, replacing any other policy", () => {
    const { session, handlers } = fakeSession();
    hardenSession(session, quiet);
    let answer: { responseHeaders?: Record<string, string[]> } = {};
    handlers.headersReceived!(
      {
        url: 'app://desktop/',
        responseHeaders: { 'content-security-policy': ["script-src 'unsafe-inline'"], 'X-A': ['1'] },
      },
      (a: typeof answer) => (answer = a),
    );
    expect(answer.responseHeaders).toEqual({
      'X-A': ['1'],
      'Content-Security-Policy': [APP_CONTENT_SECURITY_POLICY],
    });
  });

  it('leaves the headers of other responses as they are', () => {
    const { session, handlers } = fakeSession();
    hardenSession(session, quiet);
    let answer: unknown;
    handlers.headersReceived!(
      { url: 'https://example.com/', responseHeaders: {} },
      (a: unknown) => (answer = a),
    );
    expect(answer).toEqual({});
  });
});

describe('APP_CONTENT_SECURITY_POLICY', () => {
  it('is the policy the design asks for, and no more permissive', () => {
    const directives = Object.fromEntries(
      APP_CONTENT_SECURITY_POLICY.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
    expect(directives).toEqual({
      'default-src': "'self'",
      'img-src': "'self' data:",
      'script-src': "'self'",
      'style-src': "'self'",
      'connect-src': "'none'",
      'object-src': "'none'",
      'base-uri': "'none'",
      'frame-ancestors': "'none'",
      'form-action': "'none'",
    });
    expect(APP_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
  });
});
