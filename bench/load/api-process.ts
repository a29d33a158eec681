// The API under load, in its own process: the real `createApi` (config from the environment,
// token cache as configured), served by a plain node:http server that tallies every answer by
// the request's kind (the `x-load-kind` header the load generator sets next to each token) and
// status. Reports its memory every second and its tally on request, over IPC.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApi, loadApiConfig } from '@electron-oidc/api';

export interface MemorySample {
  type: 'memory';
  /** Milliseconds since the process was ready. */
  atMs: number;
  rss: number;
  heapUsed: number;
}

export type Tally = Record<string, Record<string, number>>;

const config = { ...loadApiConfig(process.env), port: 0 };
let logged = 0;
// One JSON line per request would be written to a pipe the parent must drain; the load run
// counts the entries instead (LOAD_LOG=stdout writes them for real).
const log =
  process.env.LOAD_LOG === 'stdout'
    ? (entry: object) => process.stdout.write(`${JSON.stringify(entry)}\n`)
    : () => {
        logged += 1;
      };
const app = createApi(config, { log });
const tally: Tally = {};

const server = http.createServer((req, res) => {
  const kind = String(req.headers['x-load-kind'] ?? 'unlabelled');
  res.once('finish', () => {
    const byStatus = (tally[kind] ??= {});
    byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
  });
  app(req, res);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

const ready = performance.now();
const sample = () => {
  const { rss, heapUsed } = process.memoryUsage();
  process.send?.({
    type: 'memory',
    atMs: Math.round(performance.now() - ready),
    rss,
    heapUsed,
  } satisfies MemorySample);
};
const sampler = setInterval(sample, 1000);

process.on('message', (message: { type?: string }) => {
  if (message.type === 'settle') {
    // Memory retained once garbage is collected (the process runs with --expose-gc): what a
    // leak would show, unlike RSS and heapUsed under load, which follow the GC's own rhythm.
    const collect = (globalThis as { gc?: () => void }).gc;
    collect?.();
    collect?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({ type: 'settled', rss, heapUsed, collected: collect !== undefined });
  }
  if (message.type === 'tally') process.send?.({ type: 'tally', tally, logged });
  if (message.type === 'stop') {
    clearInterval(sampler);
    server.closeAllConnections();
    server.close(() => process.disconnect());
  }
});
process.on('disconnect', () => {
  clearInterval(sampler);
  server.closeAllConnections();
  server.close();
});
sample();
process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}` });
