// What every server child does besides serving: report its CPU time over IPC.
import type { Express } from 'express';
import type { AddressInfo } from 'node:net';
import { serveIpc } from '../ipc.ts';
import type { CpuSnapshot, IpcRequest } from '../ipc.ts';

/** Listens on an ephemeral loopback port, then answers the orchestrator's requests. */
export async function serveBenchTarget(
  app: Express,
  extra: (request: IpcRequest) => unknown = () => {
    throw new Error('unknown request');
  },
): Promise<void> {
  const server = await new Promise<ReturnType<Express['listen']>>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  serveIpc((request) => {
    if (request.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      return { userMicros: user, systemMicros: system } satisfies CpuSnapshot;
    }
    return extra(request);
  });
  process.send?.({ ready: true, url: `http://127.0.0.1:${port}` });
}

/** A required environment variable (the orchestrator sets them). */
export function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}
