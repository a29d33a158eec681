import { spawn } from 'node:child_process';
import { AuthError } from './errors.ts';

/** Opens a URL in the user's browser. Electron apps pass `shell.openExternal`. */
export type BrowserOpener = (url: string) => Promise<void>;

function launch(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // No shell: the URL is one argument and cannot be interpreted as a command.
    const child = spawn(command, args, { stdio: 'ignore', detached: true, windowsHide: true });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

function browserCommands(
  url: string,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): Array<[string, string[]]> {
  // $BROWSER is a colon-separated list of commands; "%s" stands for the URL, else it is appended.
  const fromEnv = (env.BROWSER ?? '')
    .split(':')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry): [string, string[]] => {
      const [command = '', ...args] = entry.split(/\s+/);
      return args.some((a) => a.includes('%s'))
        ? [command, args.map((a) => a.replaceAll('%s', url))]
        : [command, [...args, url]];
    });
  if (fromEnv.length > 0) return fromEnv;
  if (platform === 'darwin') return [['open', [url]]];
  // `start` is a cmd.exe built-in; rundll32 opens the URL without a shell to escape for.
  if (platform === 'win32') return [['rundll32', ['url.dll,FileProtocolHandler', url]]];
  return [['xdg-open', [url]]];
}

/**
 * Creates the plain-Node browser opener: `$BROWSER` when set, else `open`
 * (macOS), `url.dll` (Windows) or `xdg-open`. Only http(s) URLs are opened.
 */
export function createSystemBrowserOpener(
  options: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform } = {},
): BrowserOpener {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  return async (url: string) => {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new AuthError(
        'ERR_BROWSER_OPEN_FAILED',
        `Refusing to open a ${parsed.protocol} URL in the browser.`,
      );
    }
    let lastError: unknown;
    // The normalized form: percent-encoded, so no character means anything to a launcher.
    for (const [command, args] of browserCommands(parsed.href, env, platform)) {
      try {
        await launch(command, args);
        return;
      } catch (err) {
        lastError = err;
      }
    }
    throw new AuthError(
      'ERR_BROWSER_OPEN_FAILED',
      'Could not open your web browser to sign in. Set the BROWSER environment variable to your browser command and try again.',
      { cause: lastError },
    );
  };
}

/** The default opener for plain Node (see {@link createSystemBrowserOpener}). */
export const openSystemBrowser: BrowserOpener = (url) => createSystemBrowserOpener()(url);
