// Bare Express 5: the same `GET /private` answer as the API's (JSON, `Cache-Control:
// no-store`), written the usual way, with no authentication and no log. The floor any
// Express app pays per request.
import express from 'express';
import { serveBenchTarget } from './common.ts';

const app = express();
app.disable('x-powered-by');
app.get('/private', (_req, res) => {
  res.set('Cache-Control', 'no-store').json({ message: 'Only authenticated users can read this message.' });
});
await serveBenchTarget(app);
