import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { closeServer, freeLoopbackPort, listenOnLoopback } from '../src/loopback.ts';

describe('loopback ports', () => {
  it('listens on 127.0.0.1 only, on an ephemeral port, and answers there', async () => {
    const server = createServer((_req, res) => res.end('here'));
    const { origin, port } = await listenOnLoopback(server);
    expect(origin).toBe(`http://127.0.0.1:${port}`);
    expect(server.address()).toMatchObject({ address: '127.0.0.1', port });
    expect(await (await fetch(origin)).text()).toBe('here');
    await closeServer(server);
    expect(server.listening).toBe(false);
  });

  it('closes a server although a client keeps its connection open', async () => {
    const server = createServer((_req, res) => res.end('kept alive'));
    const { origin } = await listenOnLoopback(server);
    await fetch(origin, { keepalive: true }).then((response) => response.text());
    await closeServer(server);
    expect(server.listening).toBe(false);
  });

  it('names a port that is free now: a server can listen on it', async () => {
    const port = await freeLoopbackPort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect(server.address()).toMatchObject({ port });
    await closeServer(server);
  });
});
