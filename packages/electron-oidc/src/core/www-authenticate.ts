/**
 * The `WWW-Authenticate` header (RFC 9110 §11.6.1): one or more challenges,
 * comma-separated, each an auth-scheme followed by either a token68 or a
 * comma-separated list of auth-params whose values are tokens or quoted strings.
 *
 * ```
 * WWW-Authenticate = #challenge
 * challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 * auth-param = token BWS "=" BWS ( token / quoted-string )
 * ```
 */

/** One challenge: its scheme (as sent) and its auth-params, names lower-cased (RFC 9110 §11.2). */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
  /** The token68 form (`Basic dXNlcg==`), when the challenge carries one instead of auth-params. */
  readonly token68?: string;
}

// RFC 9110 §5.6.2 tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;
const SPACE = /^[ \t]*/;

/** A cursor over the header text. */
class Reader {
  #rest: string;
  constructor(text: string) {
    this.#rest = text;
  }
  get done(): boolean {
    return this.#rest === '';
  }
  peek(pattern: RegExp): string | undefined {
    return pattern.exec(this.#rest)?.[0];
  }
  take(pattern: RegExp): string | undefined {
    const found = this.peek(pattern);
    if (found !== undefined) this.#rest = this.#rest.slice(found.length);
    return found;
  }
  skipSpace(): void {
    this.take(SPACE);
  }
  /** Skips empty list elements (RFC 9110 §5.6.1: `a, , b`), and the space around them. */
  skipSeparators(): void {
    this.take(/^[ \t,]*/);
  }
  /** A quoted-string with its escapes undone (RFC 9110 §5.6.4), or undefined if none starts here. */
  quoted(): string | undefined {
    const found = this.take(/^"((?:[^"\\]|\\[\s\S])*)"/);
    return found?.slice(1, -1).replace(/\\([\s\S])/g, '$1');
  }
  /** Whether `name =` (an auth-param) starts here, rather than a new challenge's scheme. */
  atParam(): boolean {
    return (
      /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=/.test(this.#rest) &&
      !/^[A-Za-z0-9\-._~+/]+=*[ \t]*(,|$)/.test(this.#rest)
    );
  }
}

/** The auth-params of one challenge; stops before the next challenge's scheme. */
function readParams(reader: Reader): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  while (!reader.done) {
    reader.skipSeparators();
    if (reader.done || !reader.atParam()) break;
    const name = reader.take(TOKEN)!.toLowerCase();
    reader.skipSpace();
    reader.take(/^=/);
    reader.skipSpace();
    const value = reader.peek(/^"/) === undefined ? reader.take(TOKEN) : reader.quoted();
    if (value === undefined) return undefined;
    // RFC 9110 §11.2: each parameter name only once per challenge; a repeat is malformed.
    if (Object.hasOwn(params, name)) return undefined;
    params[name] = value;
    reader.skipSpace();
    if (!reader.done && reader.peek(/^,/) === undefined) return undefined;
  }
  return params;
}

/**
 * Parses a `WWW-Authenticate` value into its challenges, in order. A header
 * that does not follow the grammar yields `[]`: a malformed challenge is not
 * guessed at.
 *
 * @example
 * ```ts
 * parseChallenges('DPoP error="insufficient_user_authentication", max_age=300, Basic realm="x"');
 * // [{ scheme: 'DPoP', params: { error: 'insufficient_user_authentication', max_age: '300' } }, { scheme: 'Basic', params: { realm: 'x' } }]
 * ```
 */
export function parseChallenges(header: string | null | undefined): AuthChallenge[] {
  if (header === null || header === undefined) return [];
  const reader = new Reader(header.trim());
  const challenges: AuthChallenge[] = [];
  while (!reader.done) {
    reader.skipSeparators();
    if (reader.done) break;
    const scheme = reader.take(TOKEN);
    if (scheme === undefined) return [];
    const spaced = reader.take(/^[ \t]+/) !== undefined;
    if (!spaced || reader.done || reader.peek(/^,/) !== undefined) {
      challenges.push({ scheme, params: {} });
      continue;
    }
    if (!reader.atParam()) {
      const token68 = reader.take(TOKEN68);
      reader.skipSpace();
      if (token68 === undefined || (!reader.done && reader.peek(/^,/) === undefined)) return [];
      challenges.push({ scheme, params: {}, token68 });
      continue;
    }
    const params = readParams(reader);
    if (params === undefined) return [];
    challenges.push({ scheme, params });
  }
  return challenges;
}

/**
 * The challenges of an access-token scheme: `Bearer` (RFC 6750 §3) or `DPoP`
 * (RFC 9449 §7.1), compared case-insensitively (RFC 9110 §11.1).
 */
export function tokenChallenges(header: string | null | undefined): AuthChallenge[] {
  return parseChallenges(header).filter((c) => /^(bearer|dpop)$/i.test(c.scheme));
}
