/**
 * What the real preload gets as `electron` in the end-to-end tests, which run
 * the renderer in plain Chromium (Electron's binary cannot be had here). It is
 * bundled with apps/desktop/src/preload/preload.ts in place of `electron` and
 * injected before the page's own scripts, like a preload.
 *
 * - `contextBridge.exposeInMainWorld` defines a frozen, read-only global.
 * - `ipcRenderer.invoke` calls a Playwright binding; Node takes the sender URL
 *   from the calling frame (`source.frame.url()`), so the origin check of the
 *   real bridge handlers is exercised for real.
 * - `ipcRenderer.on` is fed from Node by a second binding that long-polls for
 *   pushed messages.
 *
 * Both bindings are taken off `window` before the page runs, as the page has
 * no `ipcRenderer` in Electron either. What this cannot reproduce is context
 * isolation itself (the preload and the page share one world here); Electron's
 * side of that is covered by `secureWebPreferences` and its unit tests.
 */
type Listener = (event: unknown, ...args: unknown[]) => void;
type Invoke = (channel: string, args: unknown[]) => Promise<unknown>;
type Pull = () => Promise<{ channel: string; args: unknown[] } | null>;

const INVOKE_BINDING = '__electronIpcInvoke';
const PULL_BINDING = '__electronIpcPull';

const scope = globalThis as unknown as Record<string, unknown>;
const invokeBinding = scope[INVOKE_BINDING] as Invoke | undefined;
const pullBinding = scope[PULL_BINDING] as Pull | undefined;
delete scope[INVOKE_BINDING];
delete scope[PULL_BINDING];

const listeners = new Map<string, Set<Listener>>();
/** Stands in for Electron's IpcRendererEvent; the preload must never hand it to the page. */
const fakeEvent = Object.freeze({ sender: 'ipcRenderer-event-must-not-reach-the-page' });

async function pump(): Promise<void> {
  if (!pullBinding) return;
  for (;;) {
    let message: Awaited<ReturnType<Pull>>;
    try {
      message = await pullBinding();
    } catch {
      return; // the page is going away
    }
    if (message === null) return;
    for (const listener of [...(listeners.get(message.channel) ?? [])]) listener(fakeEvent, ...message.args);
  }
}
void pump();

export const contextBridge = {
  exposeInMainWorld(apiKey: string, api: unknown): void {
    Object.defineProperty(globalThis, apiKey, {
      value: Object.freeze(api),
      writable: false,
      configurable: false,
      enumerable: true,
    });
  },
};

export const ipcRenderer = {
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    if (!invokeBinding) return Promise.reject(new Error('No IPC transport in this page.'));
    return invokeBinding(channel, args);
  },
  on(channel: string, listener: Listener): unknown {
    if (!listeners.has(channel)) listeners.set(channel, new Set());
    listeners.get(channel)!.add(listener);
    return ipcRenderer;
  },
  removeListener(channel: string, listener: Listener): unknown {
    listeners.get(channel)?.delete(listener);
    return ipcRenderer;
  },
};
