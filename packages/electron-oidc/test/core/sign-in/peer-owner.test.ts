import { describe, expect, it } from 'vitest';
import {
  createPeerIsOwnUser,
  findPeerUid,
  normalizeAddress,
  parseProcNetTcp,
} from '../../../src/core/sign-in/peer-owner.ts';
import type { ConnectionEnds } from '../../../src/core/sign-in/peer-owner.ts';

// The app listens on 127.0.0.1:41394 (A1B2); uid 1000 is the app's user, 1001 another one.
const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const TAIL = '1 0000000000000000 20 4 30 10 -1';
const TCP = `${HEADER}   0: 0100007F:A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1001 ${TAIL}
   1: 0100007F:A1B2 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 1002 ${TAIL}
   2: 0100007F:D431 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000  1001        0 1003 ${TAIL}
   3: 0100007F:A1B2 0100007F:D433 01 00000000:00000000 00:00000000 00000000  1000        0 1004 ${TAIL}
   4: 0100007F:D433 0100007F:A1B2 05 00000000:00000000 00:00000000 00000000  1000        0 1005 ${TAIL}
   5: 0100007F:D435 0100007F:A1B2 06 00000000:00000000 03:00001770 00000000     0        0 0 ${TAIL}
`;
// A dual-stack socket of uid 1002 that reached 127.0.0.1 as ::ffff:127.0.0.1, and one on ::1.
const TCP6 = `${HEADER}   0: 0000000000000000FFFF00000100007F:D432 0000000000000000FFFF00000100007F:A1B2 01 00000000:00000000 00:00000000 00000000  1002        0 2001 ${TAIL}
   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2002 ${TAIL}
`;

const ends = (remotePort: number, remoteAddress = '127.0.0.1'): ConnectionEnds => ({
  remoteAddress,
  remotePort,
  localAddress: '127.0.0.1',
  localPort: 0xa1b2,
});

describe('/proc/net/tcp parsing', () => {
  it('decodes little-endian IPv4 words, plain hex ports, the state and the uid column', () => {
    expect(parseProcNetTcp(TCP, 'LE')[2]).toEqual({
      localAddress: '127.0.0.1',
      localPort: 0xd431,
      remoteAddress: '127.0.0.1',
      remotePort: 0xa1b2,
      state: '01',
      uid: 1001,
    });
  });

  it('decodes the same address written by a big-endian kernel', () => {
    const row = parseProcNetTcp(
      `${HEADER}   0: 7F000001:D431 7F000001:A1B2 01 0:0 0:0 0  1001 0 1 ${TAIL}\n`,
      'BE',
    );
    expect(row[0]).toMatchObject({ localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', uid: 1001 });
  });

  it('decodes IPv6 rows: an IPv4-mapped address as its IPv4 address, ::1 as ::1', () => {
    const rows = parseProcNetTcp(TCP6, 'LE');
    expect(rows[0]).toMatchObject({ localAddress: '127.0.0.1', localPort: 0xd432, uid: 1002 });
    expect(rows[1]).toMatchObject({ localAddress: '::1', localPort: 8080, remoteAddress: '::' });
  });

  it('skips the header and lines that do not parse', () => {
    const text = `${HEADER}garbage\n   9: XYZ:0000 0100007F:0001 01 0:0 0:0 0 1000 0 1\n   8: 0100007F:0001 0100007F:0002 01 0:0 0:0 0 notauid 0 1\n`;
    expect(parseProcNetTcp(text, 'LE')).toEqual([]);
  });

  it('normalizes Node’s spellings of an address', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(normalizeAddress('not an address')).toBeUndefined();
  });
});

describe('finding the peer’s socket', () => {
  const rows = [...parseProcNetTcp(TCP, 'LE'), ...parseProcNetTcp(TCP6, 'LE')];

  it('is the row whose local end is the server’s remote end (not the server’s own accepted socket)', () => {
    expect(findPeerUid(rows, ends(0xd431))).toEqual({ uid: 1001 });
  });

  it('finds a peer that has half-closed (FIN_WAIT2) while the server still holds the connection', () => {
    expect(findPeerUid(rows, ends(0xd433))).toEqual({ uid: 1000 });
  });

  it('finds an IPv6 dual-stack peer the server sees as ::ffff:127.0.0.1 or 127.0.0.1', () => {
    expect(findPeerUid(rows, ends(0xd432))).toEqual({ uid: 1002 });
    expect(findPeerUid(rows, ends(0xd432, '::ffff:127.0.0.1'))).toEqual({ uid: 1002 });
  });

  it('never takes a TIME_WAIT row (printed with uid 0) as the peer', () => {
    expect(findPeerUid(rows, ends(0xd435))).toMatchObject({ unknown: expect.stringContaining('no socket') });
  });

  it('an unknown port, or a connection without addresses, is unknown', () => {
    expect(findPeerUid(rows, ends(1))).toMatchObject({ unknown: expect.any(String) });
    expect(
      findPeerUid(rows, { ...ends(0xd431), remoteAddress: undefined, remotePort: undefined }),
    ).toMatchObject({ unknown: expect.any(String) });
  });

  it('two rows with different owners for one socket are not trusted', () => {
    const twice = [...rows, { ...rows[2]!, uid: 1000 }];
    expect(findPeerUid(twice, ends(0xd431))).toMatchObject({ unknown: expect.stringContaining('several') });
  });
});

describe('the peer check', () => {
  const lines: string[] = [];
  const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: () => {} };
  const check = (uid: number, tables: Record<string, string>) =>
    createPeerIsOwnUser({
      platform: 'linux',
      uid,
      logger,
      readTable: async (path) => tables[path] ?? '',
    });
  const tables = { '/proc/net/tcp': TCP, '/proc/net/tcp6': TCP6 };

  it('accepts a peer of the app’s own uid', async () => {
    expect(await check(1000, tables)(ends(0xd433))).toBe(true);
  });

  it('refuses a peer of another uid, and says so in the log', async () => {
    lines.length = 0;
    expect(await check(1000, tables)(ends(0xd431))).toBe(false);
    expect(await check(1000, tables)(ends(0xd432))).toBe(false);
    expect(lines.join('\n')).toContain('another user of this machine (uid 1001)');
  });

  it('fails closed, with the reason logged, when the peer cannot be found or /proc cannot be read', async () => {
    lines.length = 0;
    expect(await check(1000, tables)(ends(0xbeef))).toBe(false);
    const unreadable = createPeerIsOwnUser({
      platform: 'linux',
      uid: 1000,
      logger,
      readTable: async () => {
        throw Object.assign(new Error('denied'), { code: 'EACCES' });
      },
    });
    expect(await unreadable(ends(0xd433))).toBe(false);
    expect(lines).toEqual([
      expect.stringContaining('cannot tell which user sent it (no socket 127.0.0.1:48879'),
      expect.stringContaining('cannot read /proc/net/tcp (EACCES)'),
    ]);
  });

  it('on macOS and Windows accepts every peer (nothing equivalent is cheap there; see docs/security.md)', async () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const accept = createPeerIsOwnUser({ platform, readTable: () => Promise.reject(new Error('unused')) });
      expect(await accept(ends(0xd431))).toBe(true);
    }
  });

  it('reads this machine’s real table: a connection of this process is its own', async () => {
    if (process.platform !== 'linux') return;
    const { createServer, connect } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const seen = new Promise<boolean>((resolve) =>
      server.once('connection', (socket) => {
        void createPeerIsOwnUser()({
          remoteAddress: socket.remoteAddress,
          remotePort: socket.remotePort,
          localAddress: socket.localAddress,
          localPort: socket.localPort,
        }).then(resolve);
      }),
    );
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    try {
      expect(await seen).toBe(true);
    } finally {
      client.destroy();
      server.close();
    }
  });
});
