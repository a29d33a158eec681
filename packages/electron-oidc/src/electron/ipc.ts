import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import {
  ACCOUNTS_CHANNEL,
  BRIDGE_CHANNELS,
  BRIDGE_VERBS,
  SESSION_STATE_CHANNEL,
} from '../bridge/channels.ts';
import type { BridgeResult } from '../bridge/contract.ts';
import type { BridgeHandlers } from '../bridge/handlers.ts';
import { assertAppOrigin, isAppUrl } from '../bridge/origin.ts';

export interface RegisterBridgeOptions {
  /** The app's own origin, e.g. `app://desktop`. */
  appOrigin: string;
  /** The app's own windows, asked afresh for every message. Calls from any other `webContents` are refused. */
  windows: () => Iterable<Pick<BrowserWindow, 'webContents' | 'isDestroyed'>>;
}

const REFUSED: BridgeResult<never> = Object.freeze({
  ok: false,
  error: Object.freeze({
    code: 'ERR_SENDER_REFUSED',
    message: 'This request did not come from the app and was refused.',
  }),
});

/**
 * Wires the bridge handlers to `ipcMain.handle`, one channel each, and pushes
 * the session state and the list of accounts to the app's windows. A call is answered only when it
 * comes from the top frame of one of the app's own windows; the handlers then
 * check the frame's origin and the arguments (Electron security checklist 17,
 * "Validate the sender of all IPC messages"). Returns a function that
 * unregisters everything.
 */
export function registerBridge(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  handlers: BridgeHandlers,
  options: RegisterBridgeOptions,
): () => void {
  const appOrigin = assertAppOrigin(options.appOrigin);

  const isOwnTopFrame = (event: IpcMainInvokeEvent): boolean => {
    const frame = event.senderFrame;
    if (frame === null || frame.parent !== null) return false;
    for (const win of options.windows()) {
      if (!win.isDestroyed() && win.webContents === event.sender) return true;
    }
    return false;
  };

  for (const verb of BRIDGE_VERBS) {
    const channel = BRIDGE_CHANNELS[verb];
    const handler = handlers[channel] as (senderUrl: string, args: readonly unknown[]) => Promise<unknown>;
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      if (!isOwnTopFrame(event)) return REFUSED;
      return handler(event.senderFrame?.url ?? '', args);
    });
  }

  const pushToApp = (channel: string, value: unknown): void => {
    for (const win of options.windows()) {
      // Only to a window that still shows the app: the state and the accounts are no one else's business.
      if (!win.isDestroyed() && isAppUrl(win.webContents.getURL(), appOrigin)) {
        win.webContents.send(channel, value);
      }
    }
  };
  const unsubscribeState = handlers.onSessionState((state) => pushToApp(SESSION_STATE_CHANNEL, state));
  const unsubscribeAccounts = handlers.onAccounts((accounts) => pushToApp(ACCOUNTS_CHANNEL, accounts));

  return () => {
    unsubscribeState();
    unsubscribeAccounts();
    for (const verb of BRIDGE_VERBS) ipcMain.removeHandler(BRIDGE_CHANNELS[verb]);
  };
}
