/**
 * Loaded into a CLI process with `NODE_OPTIONS=--import <this file>`: writes
 * every HTTP request undici creates in it, with the origin its bytes go to
 * (the proxy's when it is proxied), one JSON line each, to `$REQUEST_WITNESS_FILE`.
 * Both undici copies (Node's own, behind the global `fetch`, and the package
 * the proxy agent comes from) publish on the same diagnostics channel.
 */
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';

const file = process.env.REQUEST_WITNESS_FILE;
if (file !== undefined && file !== '') {
  subscribe('undici:request:create', (message) => {
    const { request } = message as { request: { method: string; origin: string; path: string } };
    const line = { pid: process.pid, method: request.method, origin: request.origin, path: request.path };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  });
}
