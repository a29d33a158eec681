import type { AuthConfig } from '../core/config.ts';
import { diagnoseProvider } from '../core/doctor/index.ts';
import type { DoctorReport, Verdict } from '../core/doctor/index.ts';
import type { FetchLike } from '../core/fetch-like.ts';
import { EXIT } from './exit.ts';
import { oneLine } from './terminal.ts';
import type { Terminal } from './terminal.ts';

const VERDICT_LABEL: Readonly<Record<Verdict, string>> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** `3 ok, 1 warning, 0 failures`. */
function tally(report: DoctorReport): string {
  const count = (verdict: Verdict) => report.checks.filter((c) => c.verdict === verdict).length;
  return `${count('ok')} ok, ${plural(count('warn'), 'warning')}, ${plural(count('fail'), 'failure')}`;
}

/**
 * `doctor`: one line per check on stdout; exit 1 when any check failed (the
 * app cannot work as configured). Needs no keychain and no browser: it only
 * asks the provider.
 */
export async function doctor(
  config: AuthConfig,
  terminal: Terminal,
  fetchImpl: FetchLike | undefined,
): Promise<number> {
  const { stdout } = terminal;
  stdout.write(`Checking ${config.issuer.href} for client "${config.clientId}" (no sign-in needed):\n`);
  const report = await diagnoseProvider(config, fetchImpl === undefined ? {} : { fetch: fetchImpl });
  const width = Math.max(...report.checks.map((c) => c.id.length));
  for (const c of report.checks) {
    stdout.write(`${VERDICT_LABEL[c.verdict]}  ${c.id.padEnd(width)}  ${oneLine(c.message)}\n`);
  }
  if (!report.passed) {
    const failures = report.checks.filter((c) => c.verdict === 'fail').length;
    stdout.write(`${tally(report)}.\n`);
    terminal.fail(
      `The app cannot sign in with this provider as configured: fix the FAIL line${failures === 1 ? '' : 's'} above.`,
    );
    return EXIT.failure;
  }
  const warned = report.checks.some((c) => c.verdict === 'warn');
  stdout.write(
    `${tally(report)}: the app can sign in with this provider as configured${warned ? ' (the warnings name what will not work fully, or what the doctor could not settle without a sign-in)' : ''}.\n`,
  );
  return EXIT.ok;
}
