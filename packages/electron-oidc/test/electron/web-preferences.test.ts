import { beforeEach, describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => ({ app: { isPackaged: false } }));
vi.mock('electron', () => electron);

const { secureWebPreferences } = await import('../../src/electron/web-preferences.ts');

describe('secureWebPreferences', () => {
  beforeEach(() => {
    electron.app.isPackaged = false;
  });

  it('sets every security flag of the Electron checklist explicitly', () => {
    expect(secureWebPreferences('/app/dist/preload.cjs')).toEqual({
      preload: '/app/dist/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      plugins: false,
      enableWebSQL: false,
      disableBlinkFeatures: 'Auxclick',
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      devTools: false,
    });
  });

  it('never sets the flags that weaken it', () => {
    const prefs = secureWebPreferences('/app/dist/preload.cjs', { allowDevTools: true }) as Record<
      string,
      unknown
    >;
    expect(prefs.enableBlinkFeatures).toBeUndefined();
    expect(prefs.additionalArguments).toBeUndefined();
    expect(prefs.session).toBeUndefined();
    expect(prefs.partition).toBeUndefined();
  });

  it('opens DevTools only on request and only in a development build', () => {
    expect(secureWebPreferences('/p.cjs', { allowDevTools: true }).devTools).toBe(true);
    electron.app.isPackaged = true;
    expect(secureWebPreferences('/p.cjs', { allowDevTools: true }).devTools).toBe(false);
  });

  it('refuses a relative preload path', () => {
    expect(() => secureWebPreferences('dist/preload.cjs')).toThrow(TypeError);
  });
});
