/**
 * The CLI run as a user runs it, with a witness inside (request-witness.ts)
 * that writes down every HTTP request the process sends and the origin its
 * bytes go to: what a proxy's own log cannot tell, that nothing went around it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnCli } from '@electron-oidc/test-support/cli';
import type { CliProcess, CliUser } from '@electron-oidc/test-support/cli';
import { CONFIG_ENV_VARS } from 'electron-oidc/config';
import { PROXY_VARIABLES_UNSET } from './forwarding-proxy.ts';

const WITNESS = fileURLToPath(new URL('./request-witness.ts', import.meta.url));

/** An HTTP request the CLI process sent: where its bytes went (`origin`), and what it asked for. */
export interface Witnessed {
  pid: number;
  method: string;
  origin: string;
  /** The request target: a path, or an absolute URL when sent to a proxy. */
  path: string;
}

export interface WitnessedRun {
  cli: CliProcess;
  /** The requests this CLI process sent (not the "browser" it started). */
  requests(): Promise<Witnessed[]>;
}

/** The configuration as the CLI's `OIDC_*` variables, by the library's own table. */
export function cliEnvOf(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(CONFIG_ENV_VARS)
      .filter(([, option]) => config[option] !== undefined)
      .map(([name, option]) => [name, String(config[option])]),
  );
}

async function requestsOf(file: string, pid: number): Promise<Witnessed[]> {
  const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return lines.map((line) => JSON.parse(line) as Witnessed).filter((r) => r.pid === pid);
}

/** Runs `user`'s CLI with `args`, no proxy variable but those of `env`, watched by the witness. */
export function runWitnessed(user: CliUser, env: Record<string, string>, ...args: string[]): WitnessedRun {
  const file = path.join(user.cwd, 'requests.jsonl');
  const cli = spawnCli(
    args,
    {
      ...user.env,
      ...PROXY_VARIABLES_UNSET,
      NODE_OPTIONS: `--import ${WITNESS}`,
      REQUEST_WITNESS_FILE: file,
      ...env,
    },
    user.cwd,
  );
  return { cli, requests: () => requestsOf(file, cli.child.pid!) };
}
