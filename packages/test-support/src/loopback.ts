/**
 * Loopback ports for tests: a server listening on an ephemeral port, and a port
 * that is free now (for a component that must be told its port before it starts,
 * such as a redirect URI registered with one exact port).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const LOOPBACK_HOST = '127.0.0.1';

/**
 * Starts `server` on 127.0.0.1, on an ephemeral port unless told `port` (e.g. to listen
 * again where it listened before); resolves with its origin and port, rejects if it cannot.
 */
export async function listenOnLoopback(server: Server, port = 0): Promise<{ origin: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return { origin: `http://${LOOPBACK_HOST}:${address.port}`, port: address.port };
}

/** Closes `server` without waiting for idle keep-alive connections (browsers keep them open). */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** A loopback port that is free now; another process may take it before the caller does. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  const { port } = await listenOnLoopback(server);
  await closeServer(server);
  return port;
}
