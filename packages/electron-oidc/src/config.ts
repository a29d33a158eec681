/**
 * `electron-oidc/config`: the parts the configuration is made of, for apps
 * that assemble it themselves (`defineConfig`, `loadConfig` and
 * `loadConfigFromEnv` are in `electron-oidc`), and ready-made values for
 * `createDesktopAuth`'s options.
 */
export {
  CONFIG_ENV_VARS,
  DEFAULT_CONFIG,
  isLoopbackHost,
  mergeConfig,
  readConfigFile,
} from './core/config.ts';
export { consoleLogger, silentLogger } from './core/logger.ts';
export { MAX_PROVIDER_CACHE_SECONDS } from './core/provider-cache.ts';
export { DEFAULT_RETRY_SCHEDULE } from './core/session/retry-schedule.ts';
export type { RetrySchedule } from './core/session/retry-schedule.ts';
