import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { Logger } from '../logger.ts';

/**
 * Which user's program is on the other end of a loopback connection.
 *
 * Loopback is shared by every user of the machine, and every user can read
 * the others' command lines (`/proc/<pid>/cmdline`), where the browser
 * launcher shows the authorization URL with its `state`. The `state` check
 * (RFC 6749 §10.12) alone therefore does not stop another local user from
 * delivering their own code first (login CSRF, RFC 9700 §4.4). On Linux the
 * kernel says who owns the connecting socket: its `uid` column in
 * `/proc/net/tcp` (or `tcp6`, for an IPv6 socket that reached 127.0.0.1 as
 * `::ffff:127.0.0.1`). Elsewhere nothing equivalent is cheap: see
 * docs/security.md.
 */

/** The two ends of an accepted connection, as the server's socket sees them. */
export interface ConnectionEnds {
  /** The peer (the connecting program's own local address). */
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /** This server's end. */
  localAddress: string | undefined;
  localPort: number | undefined;
}

/** Whether the peer of a connection is a program of the app's own OS user; `false` refuses it. */
export type PeerIsOwnUser = (ends: ConnectionEnds) => Promise<boolean>;

/** One row of `/proc/net/tcp` or `/proc/net/tcp6`, addresses normalized by {@link normalizeAddress}. */
export interface SocketRow {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** The kernel's TCP state (`01` established, `06` time-wait, `0A` listen, …), as printed. */
  state: string;
  uid: number;
}

/** TIME_WAIT rows are printed with uid 0 whoever owned the socket; LISTEN rows are never a peer. */
const NOT_A_PEER = new Set(['06', '0A']);

/**
 * Reads one address column: 8 hex digits (IPv4) or 32 (IPv6), each 32-bit
 * word printed as the integer the kernel holds in memory, so on a
 * little-endian machine 127.0.0.1 reads `0100007F`.
 */
function decodeHexAddress(hex: string, byteOrder: 'LE' | 'BE'): string | undefined {
  if (!/^(?:[0-9A-Fa-f]{8}){1,4}$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) return undefined;
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(word + i, word + i + 2), 16));
    bytes.push(...(byteOrder === 'LE' ? wordBytes.reverse() : wordBytes));
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return normalizeAddress(groups.join(':'));
}

/**
 * One spelling per address: IPv4 dotted, an IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`, RFC 4291 §2.5.5.2) as its IPv4 address, any other IPv6
 * address in the URL parser's compressed form.
 */
export function normalizeAddress(address: string): string | undefined {
  let host: string;
  try {
    host = new URL(`http://${address.includes(':') ? `[${address}]` : address}/`).hostname;
  } catch {
    return undefined;
  }
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(host);
  if (mapped !== null) {
    const high = parseInt(mapped[1]!, 16);
    const low = parseInt(mapped[2]!, 16);
    return [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  return host.replace(/^\[|\]$/g, '');
}

function decodeEndpoint(
  column: string,
  byteOrder: 'LE' | 'BE',
): { address: string; port: number } | undefined {
  const [hex = '', portHex = ''] = column.split(':');
  const address = decodeHexAddress(hex, byteOrder);
  // The port is printed after ntohs(): plain hex whatever the byte order.
  const port = /^[0-9A-Fa-f]{4}$/.test(portHex) ? parseInt(portHex, 16) : NaN;
  return address === undefined || Number.isNaN(port) ? undefined : { address, port };
}

/**
 * Parses the text of `/proc/net/tcp` or `/proc/net/tcp6` (columns: `sl
 * local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …`).
 * Lines that do not parse are skipped; with `localPort`, so are lines whose
 * local port is another (a busy machine lists tens of thousands of sockets).
 */
export function parseProcNetTcp(
  text: string,
  byteOrder: 'LE' | 'BE' = endianness(),
  localPort?: number,
): SocketRow[] {
  const portColumn =
    localPort === undefined ? undefined : `:${localPort.toString(16).toUpperCase().padStart(4, '0')} `;
  const rows: SocketRow[] = [];
  for (const line of text.split('\n')) {
    if (portColumn !== undefined && !line.includes(portColumn)) continue;
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8 || !/^\d+:$/.test(fields[0]!)) continue;
    const local = decodeEndpoint(fields[1]!, byteOrder);
    const remote = decodeEndpoint(fields[2]!, byteOrder);
    const uid = /^\d+$/.test(fields[7]!) ? Number(fields[7]) : NaN;
    if (local === undefined || remote === undefined || Number.isNaN(uid)) continue;
    rows.push({
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state: fields[3]!.toUpperCase(),
      uid,
    });
  }
  return rows;
}

/** What {@link findPeerUid} found: the owner's uid, or why there is none. */
export type PeerLookup = { uid: number } | { unknown: string };

/**
 * Finds the peer's own socket: the row whose local end is the server's remote
 * end and whose remote end is the server's local end. It exists while the
 * connection is open (the caller looks before answering).
 */
export function findPeerUid(rows: readonly SocketRow[], ends: ConnectionEnds): PeerLookup {
  const peer = ends.remoteAddress === undefined ? undefined : normalizeAddress(ends.remoteAddress);
  const own = ends.localAddress === undefined ? undefined : normalizeAddress(ends.localAddress);
  if (
    peer === undefined ||
    own === undefined ||
    ends.remotePort === undefined ||
    ends.localPort === undefined
  )
    return { unknown: 'the connection has no addresses (already closed?)' };
  const uids = new Set(
    rows
      .filter(
        (row) =>
          !NOT_A_PEER.has(row.state) &&
          row.localAddress === peer &&
          row.localPort === ends.remotePort &&
          row.remoteAddress === own &&
          row.remotePort === ends.localPort,
      )
      .map((row) => row.uid),
  );
  const where = `${peer}:${ends.remotePort}`;
  if (uids.size === 1) return { uid: [...uids][0]! };
  if (uids.size === 0) return { unknown: `no socket ${where} in /proc/net/tcp or /proc/net/tcp6` };
  return { unknown: `several owners for the socket ${where}` };
}

/** Reads a `/proc/net` table; a missing one (IPv6 disabled) is empty. */
async function readProcTable(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** What {@link createPeerIsOwnUser} runs on; tests replace the parts. */
export interface PeerCheckOptions {
  logger?: Logger | undefined;
  platform?: NodeJS.Platform;
  /** The app's own uid (default `process.getuid()`). */
  uid?: number | undefined;
  /** Reads `/proc/net/tcp` or `/proc/net/tcp6`. */
  readTable?: (path: string) => Promise<string>;
}

/**
 * The loopback listener's peer check. On Linux: the connecting socket's owner
 * must be this process's uid; a peer that cannot be found is refused too
 * (fail closed) and the reason logged. On other platforms every peer is
 * accepted (docs/security.md says what still holds there).
 */
export function createPeerIsOwnUser(options: PeerCheckOptions = {}): PeerIsOwnUser {
  const platform = options.platform ?? process.platform;
  if (platform !== 'linux') return async () => true;
  const ownUid = options.uid ?? process.getuid?.();
  const readTable = options.readTable ?? readProcTable;
  const logger = options.logger;
  return async (ends) => {
    let lookup: PeerLookup;
    try {
      const rowsOf = async (path: string) =>
        parseProcNetTcp(await readTable(path), endianness(), ends.remotePort);
      lookup = findPeerUid(await rowsOf('/proc/net/tcp'), ends);
      if ('unknown' in lookup) {
        const v6 = findPeerUid(await rowsOf('/proc/net/tcp6'), ends);
        if ('uid' in v6) lookup = v6;
      }
    } catch (err) {
      lookup = {
        unknown: `cannot read /proc/net/tcp (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      };
    }
    if ('unknown' in lookup) {
      logger?.warn(
        `Refused a request to the app's loopback page: cannot tell which user sent it (${lookup.unknown}).`,
      );
      return false;
    }
    if (lookup.uid === ownUid) return true;
    logger?.warn(
      `Refused a request to the app's loopback page from a program of another user of this machine (uid ${lookup.uid}).`,
    );
    return false;
  };
}
