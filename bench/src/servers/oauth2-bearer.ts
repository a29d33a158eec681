// Auth0's maintained successor, express-oauth2-jwt-bearer, with the same scope requirement
// as the project's API.
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { env, serveBenchTarget } from './common.ts';

const app = express();
app.disable('x-powered-by');
app.get('/public', (_req, res) => {
  res.json({ message: 'Anyone can read this message.' });
});
app.get(
  '/private',
  auth({ issuerBaseURL: env('ISSUER_URL'), audience: env('AUDIENCE'), tokenSigningAlg: 'RS256' }),
  requiredScopes('read:messages'),
  (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ message: 'Only authenticated users can read this message.' });
  },
);
app.use(((err, _req, res, _next) => {
  res.status((err as { status?: number }).status ?? 500).json({ error: 'invalid_token' });
}) satisfies express.ErrorRequestHandler);
await serveBenchTarget(app);
