// Entry point: `node src/main.ts`. Configuration comes from the environment (see config.ts).
import { ApiConfigError, loadApiConfig } from './config.ts';
import type { ApiConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startApi } from './server.ts';

let config: ApiConfig;
try {
  config = loadApiConfig(process.env);
} catch (err) {
  if (!(err instanceof ApiConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

// Lines go to stdout asynchronously: no request waits for the pipe. Writes in flight keep the
// process alive until they are done, and pino writes anything still buffered synchronously
// should the process exit early (`process.exit`, a second signal): no line is lost.
const logger = createLogger({ level: config.logLevel });
const api = await startApi(config, { logger });
logger.info({ url: api.url, issuer: config.issuer, audience: config.audience }, 'API listening');

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  // A second signal while closing: stop now (the buffered lines are still written).
  if (stopping) process.exit(1);
  stopping = true;
  void api.close().then(() => logger.info({ signal }, 'API stopped'));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
