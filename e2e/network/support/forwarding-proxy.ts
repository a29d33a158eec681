/**
 * A forwarding HTTP proxy on loopback, as small as a test needs and real
 * enough to stand for a corporate one: absolute-form requests for `http://`
 * targets (RFC 9112 §3.2.2) are forwarded and answered, `CONNECT` (RFC 9110
 * §9.3.6) opens a tunnel for `https://` ones. Every request is recorded.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { closeServer, listenOnLoopback } from '@electron-oidc/test-support';

/** One request the proxy received: `GET http://127.0.0.1:4000/jwks`, `CONNECT idp.example:443`. */
export interface ProxiedRequest {
  readonly method: string;
  readonly target: string;
}

export interface ForwardingProxy {
  /** `http://127.0.0.1:<port>`, for `HTTP_PROXY`/`HTTPS_PROXY`. */
  readonly url: string;
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

export interface ForwardingProxyOptions {
  /** Answer every `CONNECT` with this status instead of tunnelling (e.g. 502: the proxy cannot reach the host). */
  refuseConnectWith?: number;
}

/** Every proxy variable, unset: a CLI run's environment starts from this, not the machine's own settings. */
export const PROXY_VARIABLES_UNSET: Readonly<Record<string, string>> = Object.freeze({
  HTTP_PROXY: '',
  http_proxy: '',
  HTTPS_PROXY: '',
  https_proxy: '',
  NO_PROXY: '',
  no_proxy: '',
});

/** Hop-by-hop headers a proxy does not forward (RFC 9110 §7.6.1). */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'upgrade'];

function forward(req: IncomingMessage, res: ServerResponse): void {
  const headers = { ...req.headers };
  for (const name of HOP_BY_HOP) delete headers[name];
  const upstream = httpRequest(req.url!, { method: req.method, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
}

function tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
  const { hostname, port } = new URL(`http://${req.url}`);
  const upstream = connect(Number(port || 443), hostname.replace(/^\[|\]$/g, ''), () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
  client.on('error', () => upstream.destroy());
}

export async function startForwardingProxy(options: ForwardingProxyOptions = {}): Promise<ForwardingProxy> {
  const requests: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', target: req.url ?? '' });
    if (!/^http:\/\//i.test(req.url ?? '')) {
      res.writeHead(400).end('absolute-form http:// targets only');
      return;
    }
    forward(req, res);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    requests.push({ method: 'CONNECT', target: req.url ?? '' });
    if (options.refuseConnectWith !== undefined) {
      client.end(`HTTP/1.1 ${options.refuseConnectWith} Refused\r\n\r\n`);
      return;
    }
    tunnel(req, client, head);
  });
  // Tunnels leave the server's bookkeeping: closing must end them too.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const { origin } = await listenOnLoopback(server);
  return {
    url: origin,
    requests,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return closeServer(server);
    },
  };
}
