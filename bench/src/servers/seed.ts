// The seed article's stack, written its way: express-jwt with jwks-rsa's expressJwtSecret
// (which hands jsonwebtoken a PEM string, parsed again on every request). No scope check: the
// seed had none.
import express from 'express';
import { expressjwt } from 'express-jwt';
import jwksRsa from 'jwks-rsa';
import { env, serveBenchTarget } from './common.ts';

const issuer = env('ISSUER_URL');
const app = express();
app.disable('x-powered-by');
const checkJwt = expressjwt({
  secret: jwksRsa.expressJwtSecret({
    cache: true,
    rateLimit: true,
    jwksRequestsPerMinute: 5,
    jwksUri: env('JWKS_URI'),
  }) as never,
  audience: env('AUDIENCE'),
  issuer,
  algorithms: ['RS256'],
});
app.get('/public', (_req, res) => {
  res.json({ message: 'Anyone can read this message.' });
});
app.get('/private', checkJwt, (_req, res) => {
  res.json({ message: 'Only authenticated users can read this message.' });
});
app.use(((err, _req, res, _next) => {
  res.status((err as { status?: number }).status ?? 500).json({ error: 'invalid_token' });
}) satisfies express.ErrorRequestHandler);
await serveBenchTarget(app);
