import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import path from 'node:path';
import express from 'express';
import { FileStore } from './adapter/file-adapter.ts';
import { avatarRoutes } from './avatars.ts';
import {
  checkClientId,
  checkPort,
  checkRedirectUris,
  checkResource,
  checkSeconds,
  IdpConfigError,
  loadIdpConfig,
} from './config.ts';
import type { IdpConfig } from './config.ts';
import type { OneTimeCodeListener } from './interactions/one-time-codes.ts';
import { interactionRoutes } from './interactions/routes.ts';
import { loadOrCreateKeys } from './keys.ts';
import { logoutPostRoute } from './logout-post.ts';
import { createProvider } from './provider.ts';

/** Overrides of the environment's configuration (see {@link loadIdpConfig}); each is validated the same way. */
export interface IdpOptions {
  /** 0 picks a free port; default IDP_PORT or 4000. */
  port?: number;
  dataDir?: string;
  clientId?: string;
  apiResource?: string;
  /** Seconds. */
  accessTokenTtl?: number;
  /** Seconds. */
  refreshTokenTtl?: number;
  refreshTokenRotation?: boolean;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  /** Demand a nonce in every DPoP proof (RFC 9449 §8); default IDP_DPOP_NONCE or off. */
  dpopNonce?: boolean;
  /**
   * Receives each one-time code of a step-up sign-in (`acr_values` with ACR_OTP) with
   * the account it is for, instead of the console line `One-time code for alice: 123456`.
   */
  onOneTimeCode?: OneTimeCodeListener;
  /** Where the defaults come from; `process.env` unless given (pass `{}` to ignore the environment). */
  env?: NodeJS.ProcessEnv;
}

export interface RunningIdp {
  /** `http://127.0.0.1:<port>`, the real port even when 0 was asked for. */
  issuer: string;
  port: number;
  clientId: string;
  apiResource: string;
  dataDir: string;
  /** The configuration in effect. */
  config: IdpConfig;
  /** Stops listening, drops open connections and waits for pending writes to the data folder. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const ONE_DAY = 24 * 60 * 60;
const ONE_YEAR = 365 * ONE_DAY;
/** Seconds the discovery document may be reused. */
export const DISCOVERY_MAX_AGE = 60 * 60;

/**
 * Starts the local OpenID Provider on 127.0.0.1. The port is bound first and
 * the issuer built from the port actually bound, so port 0 works.
 *
 * @throws {IdpConfigError} when the environment or an option is unusable.
 */
export async function startIdp({ onOneTimeCode, ...options }: IdpOptions = {}): Promise<RunningIdp> {
  const config = resolveConfig(options);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const keys = await loadOrCreateKeys(config.dataDir);
  const store = new FileStore(path.join(config.dataDir, 'store'));

  const server = createServer();
  const port = await listen(server, config.port);
  const issuer = `http://${HOST}:${port}`;

  const provider = createProvider({ issuer, config, keys, store });
  // Unexpected failures are bugs of this provider; oidc-provider only logs them under DEBUG.
  provider.on('server_error', (_ctx, error) => console.error('dev-idp: internal error:', error));

  const app = express();
  app.disable('x-powered-by');
  // Like many hosted providers, the discovery document may be reused for an hour (RFC 9111):
  // an app that keeps it (electron-oidc's providerCache) signs in silently with one request.
  app.get('/.well-known/openid-configuration', (_req, res, next) => {
    res.setHeader('Cache-Control', `public, max-age=${DISCOVERY_MAX_AGE}`);
    next();
  });
  app.use(avatarRoutes());
  app.use(interactionRoutes(provider, { onOneTimeCode }));
  app.use(logoutPostRoute());
  app.use(provider.callback());
  server.on('request', app);

  let closing: Promise<void> | undefined;
  return {
    issuer,
    port,
    clientId: config.clientId,
    apiResource: config.apiResource,
    dataDir: config.dataDir,
    config: { ...config, port },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Browsers keep idle connections open; without this close() would wait for them.
        server.closeAllConnections();
      }).then(() => store.flush());
      return closing;
    },
  };
}

function resolveConfig({ env = process.env, ...options }: Omit<IdpOptions, 'onOneTimeCode'>): IdpConfig {
  const config = loadIdpConfig(env);
  return {
    port: options.port === undefined ? config.port : checkPort('port', options.port),
    clientId: options.clientId === undefined ? config.clientId : checkClientId('clientId', options.clientId),
    apiResource:
      options.apiResource === undefined
        ? config.apiResource
        : checkResource('apiResource', options.apiResource),
    dataDir: options.dataDir === undefined ? config.dataDir : path.resolve(options.dataDir),
    accessTokenTtl:
      options.accessTokenTtl === undefined
        ? config.accessTokenTtl
        : checkSeconds('accessTokenTtl', options.accessTokenTtl, ONE_DAY),
    refreshTokenTtl:
      options.refreshTokenTtl === undefined
        ? config.refreshTokenTtl
        : checkSeconds('refreshTokenTtl', options.refreshTokenTtl, ONE_YEAR),
    refreshTokenRotation: options.refreshTokenRotation ?? config.refreshTokenRotation,
    redirectUris:
      options.redirectUris === undefined
        ? config.redirectUris
        : checkRedirectUris('redirectUris', options.redirectUris),
    postLogoutRedirectUris:
      options.postLogoutRedirectUris === undefined
        ? config.postLogoutRedirectUris
        : checkRedirectUris('postLogoutRedirectUris', options.postLogoutRedirectUris),
    dpopNonce: options.dpopNonce ?? config.dpopNonce,
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new IdpConfigError(
            'IDP_PORT',
            `port ${port} on ${HOST} is already in use; stop whatever listens there or choose another port.`,
          ),
        );
      } else {
        reject(error);
      }
    });
    server.listen(port, HOST, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('The server has no TCP address after listening.'));
        return;
      }
      resolve(address.port);
    });
  });
}
