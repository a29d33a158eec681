/**
 * The preload: exposes `window.auth` (verbs only) and nothing else. Bundled as
 * CommonJS to dist/preload.cjs, because a sandboxed preload cannot be an ES
 * module; only `electron` stays external (the sandbox's `require` provides it).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { exposeAuthBridge } from 'electron-oidc/preload';

exposeAuthBridge({ contextBridge, ipcRenderer });
