import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApi } from './app.ts';
import type { CreateApiOptions } from './app.ts';
import { checkApiConfig, DEFAULT_API_CONFIG } from './config.ts';
import type { ApiConfig } from './config.ts';

/** A listening API. */
export interface RunningApi {
  /** Its base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Starts the API. Settings not given take their defaults (the environment is not read:
 * pass `loadApiConfig(process.env)` for that); `port: 0` picks a free port.
 *
 * @throws {ApiConfigError} a setting is invalid.
 *
 * @example
 * ```ts
 * const api = await startApi({ issuer: provider.url, port: 0 });
 * await fetch(`${api.url}/public`);
 * await api.close();
 * ```
 */
export async function startApi(
  config: Partial<ApiConfig> = {},
  options: CreateApiOptions = {},
): Promise<RunningApi> {
  const resolved = checkApiConfig({ ...DEFAULT_API_CONFIG, ...config });
  // Listening first: the port bound (with `port: 0`) is part of the URL DPoP proofs name.
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  const url = `http://${host}:${port}`;
  try {
    server.on('request', createApi({ ...resolved, publicUrl: resolved.publicUrl ?? url }, options));
  } catch (err) {
    server.close();
    throw err;
  }
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}
