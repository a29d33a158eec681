// A DPoP request beside a Bearer request on the same API, in this one process (issue 12's
// target: one proof verification + at most 15 µs of CPU over Bearer). The middleware that
// `GET /private` runs (`privateRouteAuth`, as `createApi` mounts it) is called on requests
// built as Node's HTTP server builds them, one at a time, as auth-check.ts does for Bearer:
// - Bearer: one remembered token without `cnf`;
// - DPoP: one remembered token bound to an ES256 key, each request with its own fresh proof
//   (a new `jti`, so the replay cache takes every one);
// - the proof verification alone: jose `jwtVerify` of the same proofs with the key already
//   imported (what no DPoP check can skip).
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { createHash, randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { createVerifierFromConfig, loadApiConfig, privateRouteAuth, publicUrlOf } from '@electron-oidc/api';
import { FakeIssuer } from '@electron-oidc/test-support';
import { BENCH_AUDIENCE } from './issuer.ts';
import { median } from './token-check.ts';

/** CPU µs (user + system, this process) per request, per round. */
export interface DpopCheckResults {
  rounds: number;
  requestsPerRound: number;
  /** The harness alone: a middleware that lets every request through. */
  baseline: number[];
  bearer: number[];
  dpop: number[];
  proofVerification: number[];
}

function request(headers: [string, string][]): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = '/private';
  req.complete = true;
  req.push(null);
  req.rawHeaders = headers.flat();
  req.headers = Object.fromEntries(headers.map(([name, value]) => [name.toLowerCase(), value]));
  // What Express's request prototype would give the route's middleware.
  Object.assign(req, { baseUrl: '', path: '/private' });
  return req;
}

/** Runs the middleware once; resolves when it let the request through, rejects if it answered. */
function pass(auth: RequestHandler, headers: [string, string][]): Promise<void> {
  const req = request(headers);
  const res = new ServerResponse(req);
  (res as unknown as { locals: object }).locals = {};
  return new Promise((resolve, reject) => {
    const answered = () =>
      reject(
        new Error(
          `the request was refused: ${JSON.stringify((res as unknown as { locals: object }).locals)}`,
        ),
      );
    Object.assign(res, { status: answered, json: answered });
    void auth(req as never, res as never, (err?: unknown) => (err === undefined ? resolve() : reject(err)));
  });
}

/** Requests per case before the next case takes its turn. */
const CHUNK = 1_000;

/** CPU µs (user + system, this process) that `work` took. */
async function cpu(work: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

type Case = (proof: string) => Promise<void>;

/**
 * CPU µs per request of each case over `requests` requests, in chunks, the cases taking turns:
 * load on the (shared) machine spreads over all four.
 */
async function takeTurns(
  requests: number,
  proofs: (count: number) => Promise<string[]>,
  cases: { baseline: Case; bearer: Case; dpop: Case; proof: Case },
): Promise<[number, number, number, number]> {
  const sums = [0, 0, 0, 0];
  const order = [cases.baseline, cases.bearer, cases.dpop, cases.proof];
  for (let done = 0; done < requests; done += CHUNK) {
    const fresh = await proofs(Math.min(CHUNK, requests - done));
    for (const [index, run] of order.entries()) {
      sums[index]! += await cpu(async () => {
        for (const proof of fresh) await run(proof);
      });
    }
  }
  return sums.map((total) => total / requests) as [number, number, number, number];
}

/** Measures the three figures, `rounds` times over `requests` requests each. */
async function measure(
  rounds: number,
  requests: number,
  log: (line: string) => void,
): Promise<DpopCheckResults> {
  // The bench issuer's own, for a token bound to the proof key (`cnf.jkt`).
  const issuer = await FakeIssuer.start({ audience: BENCH_AUDIENCE, lifetime: 3600 });
  try {
    const config = loadApiConfig({ ISSUER_URL: issuer.url, AUDIENCE: BENCH_AUDIENCE });
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const bearerToken = issuer.signSync();
    const dpopToken = issuer.signSync({ cnf: { jkt: await calculateJwkThumbprint(jwk) } });
    const ath = createHash('sha256').update(dpopToken).digest('base64url');
    const htu = `${publicUrlOf(config)}/private`;
    const proofs = (count: number) =>
      Promise.all(
        Array.from({ length: count }, () =>
          new SignJWT({ jti: randomUUID(), htm: 'GET', htu, iat: Math.floor(Date.now() / 1000), ath })
            .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
            .sign(privateKey),
        ),
      );
    const bearer: [string, string][] = [['Authorization', `Bearer ${bearerToken}`]];
    const dpop = (proof: string): [string, string][] => [
      ['Authorization', `DPoP ${dpopToken}`],
      ['DPoP', proof],
    ];
    const results: DpopCheckResults = {
      rounds,
      requestsPerRound: requests,
      baseline: [],
      bearer: [],
      dpop: [],
      proofVerification: [],
    };
    const letThrough: RequestHandler = (_req, _res, next) => next();
    for (let round = 0; round < rounds; round += 1) {
      // A fresh API each round: its replay cache starts empty, its JWKS is fetched while warming.
      const auth = privateRouteAuth(config, createVerifierFromConfig(config));
      for (const proof of await proofs(500)) {
        await pass(auth, bearer);
        await pass(auth, dpop(proof));
      }
      const [baseline, bearerCpu, dpopCpu, proofCpu] = await takeTurns(requests, proofs, {
        baseline: (proof) => pass(letThrough, dpop(proof)),
        bearer: () => pass(auth, bearer),
        dpop: (proof) => pass(auth, dpop(proof)),
        proof: (proof) =>
          jwtVerify(proof, publicKey, { typ: 'dpop+jwt', algorithms: ['ES256'] }).then(() => undefined),
      });
      results.baseline.push(baseline);
      results.bearer.push(bearerCpu);
      results.dpop.push(dpopCpu);
      results.proofVerification.push(proofCpu);
      log(
        `DPoP round ${round + 1}/${rounds}: harness ${baseline.toFixed(1)} µs, Bearer ${bearerCpu.toFixed(1)} µs, ` +
          `DPoP ${dpopCpu.toFixed(1)} µs, proof verification alone ${proofCpu.toFixed(1)} µs CPU/request`,
      );
    }
    return results;
  } finally {
    await issuer.close();
  }
}

/** The report's DPoP section, in Markdown. */
export function renderDpopCheck(results: DpopCheckResults): string {
  const fixed = (value: number) => value.toFixed(1);
  const rounds = (values: number[]) => values.map(fixed).join(', ');
  const above = (values: number[]) => median(values.map((v, i) => v - (results.baseline[i] ?? 0)));
  const bearer = above(results.bearer);
  const dpop = above(results.dpop);
  const proof = median(results.proofVerification);
  // Per round, then the median: the cases of one round shared the machine's load.
  const overheads = results.dpop.map(
    (v, i) => v - (results.bearer[i] ?? 0) - (results.proofVerification[i] ?? 0),
  );
  const overhead = median(overheads);
  return [
    '',
    '## DPoP requests on the API (RFC 9449)',
    '',
    `In the orchestrating process (bench/src/dpop-check.ts): \`privateRouteAuth\` as \`createApi\` mounts it, called on ` +
      `requests built as Node's HTTP server builds them, one at a time; ${results.rounds} rounds of ` +
      `${results.requestsPerRound.toLocaleString('en-US')} requests per case, a fresh API each round, the cases taking turns ` +
      `every ${CHUNK.toLocaleString('en-US')} requests. Both tokens are ` +
      'remembered by the token cache (RS256, verified once); every DPoP request carries its own ES256 proof (new `jti`), ' +
      'checked in full: header, jose `jwtVerify` with the embedded key (imported once per key), `htm`/`htu`, `iat`, ' +
      '`ath`, `cnf.jkt`, the replay cache. CPU µs per request, median over rounds, the harness subtracted (per round, ' +
      'before subtracting, in brackets):',
    '',
    `- harness alone: ${fixed(median(results.baseline))} µs (${rounds(results.baseline)})`,
    `- Bearer, remembered token: **${fixed(bearer)} µs** (${rounds(results.bearer)})`,
    `- DPoP, remembered token, fresh proof: **${fixed(dpop)} µs** (${rounds(results.dpop)})`,
    `- one proof verification alone (jose \`jwtVerify\`, ES256, key imported): **${fixed(proof)} µs** ` +
      `(${rounds(results.proofVerification)})`,
    '',
    `DPoP over Bearer, less the proof verification, per round: ${rounds(overheads)}; median **${fixed(overhead)} µs** ` +
      `(from the medians above: ${fixed(dpop - bearer)} − ${fixed(proof)} = ${fixed(dpop - bearer - proof)} µs). Target (issue 12): one proof verification + at most 15 µs: ` +
      `${overhead <= 15 ? '**met**' : `**missed** by ${fixed(overhead - 15)} µs`}.`,
    '',
  ].join('\n');
}

/** `npm run bench`'s DPoP scenario: measured, then rendered as the report's DPoP section. */
export async function measureDpopCheck(smoke: boolean, log: (line: string) => void): Promise<string> {
  return renderDpopCheck(await measure(smoke ? 1 : 5, smoke ? 500 : 20_000, log));
}
