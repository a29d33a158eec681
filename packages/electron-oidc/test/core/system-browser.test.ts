import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSystemBrowserOpener } from '../../src/core/system-browser.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A fake browser: a script that writes its arguments, one per line, to a file. */
async function fakeBrowser(): Promise<{ command: string; output: string }> {
  dir = await mkdtemp(path.join(tmpdir(), 'oidc-browser-'));
  const output = path.join(dir, 'args.txt');
  const command = path.join(dir, 'browser.sh');
  await writeFile(command, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${output}'\n`);
  await chmod(command, 0o755);
  return { command, output };
}

async function waitForFile(file: string): Promise<string> {
  for (;;) {
    try {
      const text = await readFile(file, 'utf8');
      if (text.endsWith('\n')) return text;
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('system browser opener', () => {
  it('honours $BROWSER and passes the URL as one argument, never through a shell', async () => {
    const { command, output } = await fakeBrowser();
    const open = createSystemBrowserOpener({ env: { BROWSER: command }, platform: 'linux' });
    const url = 'https://idp.example/auth?a=1&b=$(touch /tmp/pwned);echo`x`';
    await open(url);
    expect(await waitForFile(output)).toBe(`${new URL(url).href}\n`);
  });

  it('substitutes %s in $BROWSER entries', async () => {
    const { command, output } = await fakeBrowser();
    const open = createSystemBrowserOpener({
      env: { BROWSER: `${command} --new-tab %s` },
      platform: 'linux',
    });
    await open('https://idp.example/auth');
    expect(await waitForFile(output)).toBe('--new-tab\nhttps://idp.example/auth\n');
  });

  it('falls through $BROWSER entries that cannot start, and fails with ERR_BROWSER_OPEN_FAILED when none can', async () => {
    const missing = createSystemBrowserOpener({
      env: { BROWSER: '/nonexistent/one:/nonexistent/two' },
      platform: 'linux',
    });
    await expect(missing('https://idp.example/')).rejects.toMatchObject({ code: 'ERR_BROWSER_OPEN_FAILED' });
  });

  it.each(['file:///etc/passwd', 'javascript:alert(1)', 'ms-settings:'])(
    'refuses to open %s',
    async (url) => {
      const open = createSystemBrowserOpener({ env: { BROWSER: '/bin/true' }, platform: 'linux' });
      await expect(open(url)).rejects.toMatchObject({ code: 'ERR_BROWSER_OPEN_FAILED' });
    },
  );
});
