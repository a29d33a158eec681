// The API's own cost of authenticating a request, in this one process: the middleware that
// `GET /private` runs before its handler (`privateRouteAuth`, exactly as `createApi` mounts
// it), called on requests built as Node's HTTP server builds them, with no socket, parser or
// response in between. End to end (token-check.ts) the same work also pays for receiving
// the larger request and for sharing two cores with the load generator.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import { createVerifierFromConfig, loadApiConfig, privateRouteAuth } from '@electron-oidc/api';
import { BENCH_AUDIENCE, startBenchIssuer } from './issuer.ts';

export interface AuthCheckPlan {
  rounds: number;
  /** Calls per round with the one remembered token. */
  rememberedCalls: number;
  /** Distinct tokens for the first-seen and cache-off cases (the same ones each round, to fresh verifiers). */
  firstSeenTokens: number;
}

/** CPU µs (user + system, this process) per request, per round. */
export interface AuthCheckResults {
  /** The harness alone: a middleware that lets every request through (subtracted from the others). */
  baseline: number[];
  remembered: number[];
  firstSeen: number[];
  cacheOff: number[];
}

function request(token: string): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = '/private';
  req.complete = true;
  req.push(null);
  req.rawHeaders = ['Host', '127.0.0.1', 'Authorization', `Bearer ${token}`];
  req.headers = { host: '127.0.0.1', authorization: `Bearer ${token}` };
  return req;
}

/** Runs the middleware once; resolves when it let the request through, rejects if it answered. */
function pass(auth: RequestHandler, token: string): Promise<void> {
  const req = request(token);
  const res = new ServerResponse(req);
  (res as unknown as { locals: object }).locals = {};
  return new Promise((resolve, reject) => {
    const answered = () => reject(new Error(`the token was refused: ${res.statusCode}`));
    Object.assign(res, { status: answered, json: answered });
    void auth(req as never, res as never, (err?: unknown) => (err === undefined ? resolve() : reject(err)));
  });
}

export async function measureAuthCheck(
  plan: AuthCheckPlan,
  log: (line: string) => void,
): Promise<AuthCheckResults> {
  const issuer = await startBenchIssuer();
  try {
    const env = { ISSUER_URL: issuer.url, AUDIENCE: BENCH_AUDIENCE };
    const config = (tokenCache: 'on' | 'off') => ({ ...loadApiConfig({ ...env, TOKEN_CACHE: tokenCache }) });
    const results: AuthCheckResults = { baseline: [], remembered: [], firstSeen: [], cacheOff: [] };
    const letThrough: RequestHandler = (_req, _res, next) => next();
    const cpu = async (work: () => Promise<void>, count: number): Promise<number> => {
      const before = process.cpuUsage();
      await work();
      const used = process.cpuUsage(before);
      return (used.user + used.system) / count;
    };
    // Signed once; each round's fresh verifiers have never seen them.
    const tokens = Array.from({ length: plan.firstSeenTokens }, () => issuer.sign());
    for (let round = 0; round < plan.rounds; round += 1) {
      // Fresh verifiers each round: the JWKS is fetched while warming up, not while measured.
      const cached = privateRouteAuth(config('on'), createVerifierFromConfig(config('on')));
      const uncached = privateRouteAuth(config('off'), createVerifierFromConfig(config('off')));
      const warm = issuer.sign();
      for (let i = 0; i < 2_000; i += 1) {
        await pass(cached, warm);
        await pass(uncached, warm);
      }
      const baseline = await cpu(async () => {
        for (let i = 0; i < plan.rememberedCalls; i += 1) await pass(letThrough, warm);
      }, plan.rememberedCalls);
      const remembered = await cpu(async () => {
        for (let i = 0; i < plan.rememberedCalls; i += 1) await pass(cached, warm);
      }, plan.rememberedCalls);
      const measureFirstSeen = () =>
        cpu(async () => {
          for (const token of tokens) await pass(cached, token);
        }, tokens.length);
      const measureCacheOff = () =>
        cpu(async () => {
          for (const token of tokens) await pass(uncached, token);
        }, tokens.length);
      // The order alternates round by round: neither always runs on the other's garbage.
      let firstSeen: number;
      let cacheOff: number;
      if (round % 2 === 0) {
        firstSeen = await measureFirstSeen();
        cacheOff = await measureCacheOff();
      } else {
        cacheOff = await measureCacheOff();
        firstSeen = await measureFirstSeen();
      }
      results.baseline.push(baseline);
      results.remembered.push(remembered);
      results.firstSeen.push(firstSeen);
      results.cacheOff.push(cacheOff);
      log(
        `auth middleware round ${round + 1}/${plan.rounds}: harness ${baseline.toFixed(1)} µs, remembered ${remembered.toFixed(1)} µs, ` +
          `first-seen ${firstSeen.toFixed(1)} µs, cache off ${cacheOff.toFixed(1)} µs CPU/request`,
      );
    }
    return results;
  } finally {
    await issuer.close();
  }
}
