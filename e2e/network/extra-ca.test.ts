/**
 * A corporate CA given by `NODE_EXTRA_CA_CERTS` is trusted through the proxy
 * too: the CLI's proxy agent opens TLS with Node's default CA store, which
 * holds those certificates. The provider here is an https server whose
 * certificate a freshly made CA signed; `electron-oidc doctor` reads its
 * discovery document through a tunnelling proxy (`HTTPS_PROXY`, CONNECT).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeServer, listenOnLoopback } from '@electron-oidc/test-support';
import { spawnCli } from '@electron-oidc/test-support/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROXY_VARIABLES_UNSET, startForwardingProxy } from './support/forwarding-proxy.ts';
import type { ForwardingProxy } from './support/forwarding-proxy.ts';

/** The loopback helpers take an http server; an https one listens and closes the same way. */
const asHttp = (server: Server) => server as unknown as HttpServer;

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A CA and a certificate for 127.0.0.1 it signed, as PEM files in `dir`. */
async function makeCertificates(dir: string): Promise<{ ca: string; key: string; cert: string }> {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=Test Corporate CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'idp.key',
    '-out',
    'idp.csr',
  );
  await writeFile(file('idp.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'idp.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'idp.ext',
    '-out',
    'idp.pem',
  );
  return { ca: file('ca.pem'), key: file('idp.key'), cert: file('idp.pem') };
}

describe.skipIf(!hasOpenssl())('NODE_EXTRA_CA_CERTS through the proxy', () => {
  let dir: string;
  let provider: Server;
  let issuer: string;
  let proxy: ForwardingProxy;
  let ca: string;
  const seen: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'electron-oidc-extra-ca-'));
    const files = await makeCertificates(dir);
    ca = files.ca;
    provider = createServer(
      { key: await readFile(files.key), cert: await readFile(files.cert) },
      (req, res) => {
        seen.push(req.url ?? '');
        if (req.url !== '/.well-known/openid-configuration') return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            issuer,
            authorization_endpoint: `${issuer}/auth`,
            token_endpoint: `${issuer}/token`,
            jwks_uri: `${issuer}/jwks`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
          }),
        );
      },
    );
    [issuer, proxy] = await Promise.all([
      listenOnLoopback(asHttp(provider)).then((a) => a.origin.replace('http:', 'https:')),
      startForwardingProxy(),
    ]);
  });
  afterAll(async () => {
    await proxy?.close();
    if (provider) await closeServer(asHttp(provider));
    await rm(dir, { recursive: true, force: true });
  });

  async function doctorThroughProxy(extra: Record<string, string>) {
    seen.length = 0;
    const before = proxy.requests.length;
    const env = {
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: 'desktop-app',
      ...PROXY_VARIABLES_UNSET,
      HTTPS_PROXY: proxy.url,
      NODE_EXTRA_CA_CERTS: '',
      ...extra,
    };
    const result = await spawnCli(['doctor'], env, dir).result;
    return { result, proxied: proxy.requests.slice(before).map((r) => `${r.method} ${r.target}`) };
  }

  it('with the CA in NODE_EXTRA_CA_CERTS, the provider is reached over TLS through the proxy’s tunnel', async () => {
    const { proxied } = await doctorThroughProxy({ NODE_EXTRA_CA_CERTS: ca });
    expect(proxied).toContain(`CONNECT ${new URL(issuer).host}`);
    expect(seen).toContain('/.well-known/openid-configuration');
  });

  it('without it, the same certificate is refused: nothing reaches the provider', async () => {
    const { proxied } = await doctorThroughProxy({});
    expect(proxied).toContain(`CONNECT ${new URL(issuer).host}`);
    expect(seen).toEqual([]);
  });
});
