/**
 * The `electron-oidc` command: a thin process wrapper around {@link runCli}.
 * Run it with `npm run cli -- <command>` or `node packages/electron-oidc/src/cli/main.ts <command>`.
 */
import { EXIT, runCli } from './run.ts';

const interrupt = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  // The first Ctrl-C cancels the command cleanly (the sign-in listener closes);
  // a second one stops at once.
  interrupts += 1;
  if (interrupts > 1) process.exit(EXIT.interrupted);
  interrupt.abort();
});

const code = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal,
});
if (code === EXIT.interrupted) {
  // Work the user abandoned (e.g. waiting for the provider's sign-out page) must not keep us alive.
  process.exit(code);
}
process.exitCode = code;
