// The first-seen scenario of auth-check.ts alone, for a CPU profile:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/src/profile-first-seen.ts
// The middleware as `GET /private` runs it (cache on), each token distinct and never seen.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import { createVerifierFromConfig, loadApiConfig, privateRouteAuth } from '@electron-oidc/api';
import { BENCH_AUDIENCE, startBenchIssuer } from './issuer.ts';

function pass(auth: RequestHandler, token: string): Promise<void> {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = '/private';
  req.rawHeaders = ['Host', '127.0.0.1', 'Authorization', `Bearer ${token}`];
  req.headers = { host: '127.0.0.1', authorization: `Bearer ${token}` };
  const res = new ServerResponse(req);
  (res as unknown as { locals: object }).locals = {};
  return new Promise((resolve, reject) => {
    const answered = () => reject(new Error(`refused: ${res.statusCode}`));
    Object.assign(res, { status: answered, json: answered });
    void auth(req as never, res as never, (err?: unknown) => (err === undefined ? resolve() : reject(err)));
  });
}

const issuer = await startBenchIssuer();
const config = loadApiConfig({
  ISSUER_URL: issuer.url,
  AUDIENCE: BENCH_AUDIENCE,
  TOKEN_CACHE: process.env.TOKEN_CACHE ?? 'on',
});
const tokens = Array.from({ length: 10_000 }, () => issuer.sign());
for (let round = 0; round < Number(process.env.ROUNDS ?? 4); round += 1) {
  const auth = privateRouteAuth(config, createVerifierFromConfig(config));
  await pass(auth, issuer.sign());
  const before = process.cpuUsage();
  for (const token of tokens) await pass(auth, token);
  const used = process.cpuUsage(before);
  console.log(
    `round ${round + 1}: ${((used.user + used.system) / tokens.length).toFixed(1)} µs CPU per first-seen token`,
  );
}
await issuer.close();
