// The load generator, in its own process so that its CPU time is not the server's: runs one
// autocannon load per request from the orchestrator and answers a summary.
import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';
import { serveIpc } from './ipc.ts';

/** One load: a fixed duration, or a fixed number of requests (`amount`). */
export interface LoadSpec {
  url: string;
  connections: number;
  durationSeconds?: number;
  amount?: number;
  /** The same bearer token on every request. */
  token?: string;
  /** A file of tokens, one a line: each request takes the next one (first-seen tokens). */
  tokenFile?: string;
  /** Never reuse a token of `tokenFile`: stop after the last one. */
  noRepeat?: boolean;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const tokens =
    spec.tokenFile === undefined ? [] : (await readFile(spec.tokenFile, 'utf8')).split('\n').filter(Boolean);
  let next = 0;
  const options: autocannon.Options = {
    url: spec.url,
    connections: spec.connections,
    // Never run unbounded: a duration or an amount, and a per-request timeout.
    ...(spec.amount === undefined ? { duration: spec.durationSeconds ?? 1 } : { amount: spec.amount }),
    timeout: 10,
    ...(spec.noRepeat === true ? { maxOverallRequests: tokens.length } : {}),
    headers: spec.token === undefined ? {} : { authorization: `Bearer ${spec.token}` },
    ...(tokens.length === 0
      ? {}
      : {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => {
                const token = tokens[next % tokens.length];
                next += 1;
                return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
              },
            },
          ],
        }),
  };
  const started = performance.now();
  const result = await autocannon(options);
  // autocannon's own duration is coarse for runs bounded by an amount; time it here.
  const seconds = (performance.now() - started) / 1000;
  const requests = result['2xx'] + result.non2xx;
  return {
    requests,
    seconds,
    requestsPerSecond: requests / seconds,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

serveIpc((request) => runLoad(request as unknown as LoadSpec));
process.send?.({ ready: true });
