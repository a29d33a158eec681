// Entry point: `node src/main.ts`. Configuration comes from the environment (see config.ts).
import { ApiConfigError, loadApiConfig } from './config.ts';
import type { ApiConfig } from './config.ts';
import { jsonLineLog } from './logger.ts';
import { startApi } from './server.ts';

let config: ApiConfig;
try {
  config = loadApiConfig(process.env);
} catch (err) {
  if (!(err instanceof ApiConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

const api = await startApi(config, { log: jsonLineLog });
jsonLineLog({
  time: new Date().toISOString(),
  level: 'info',
  message: 'API listening',
  url: api.url,
  issuer: config.issuer,
  audience: config.audience,
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void api.close().then(() => {
      jsonLineLog({ time: new Date().toISOString(), level: 'info', message: 'API stopped', signal });
    });
  });
}
