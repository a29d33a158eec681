import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Electron's net.fetch reads file: URLs; Node's fetch does not, so the mock reads the file itself.
const electron = vi.hoisted(() => ({
  protocol: {
    registerSchemesAsPrivileged: vi.fn(),
    handle: vi.fn(),
  },
  net: {
    fetch: vi.fn(async (url: string) => {
      const { readFile: read } = await import('node:fs/promises');
      const { fileURLToPath: toPath } = await import('node:url');
      try {
        return new Response(await read(toPath(url)));
      } catch {
        return new Response(null, { status: 404 });
      }
    }),
  },
}));
vi.mock('electron', () => electron);

const { registerAppProtocol, registerAppScheme, serveAppRequest } =
  await import('../../src/electron/protocol.ts');
const { APP_CONTENT_SECURITY_POLICY, resolveAppFile } = await import('../../src/electron/app-files.ts');

let base: string;
let root: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'app-protocol-'));
  root = path.join(base, 'renderer');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>App</title>');
  await writeFile(path.join(root, 'app.js'), 'console.log(1)');
  await writeFile(path.join(root, 'styles.css'), 'body{}');
  await writeFile(path.join(root, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(path.join(root, 'notes.md'), '# not served');
  await writeFile(path.join(root, '.env'), 'SECRET=1');
  await writeFile(path.join(base, 'secret.txt'), 'outside the root');
  await symlink(path.join(base, 'secret.txt'), path.join(root, 'leak.txt'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('registerAppScheme', () => {
  it('registers the scheme as standard and secure, and grants nothing else', () => {
    registerAppScheme();
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      {
        scheme: 'app',
        privileges: {
          standard: true,
          secure: true,
          bypassCSP: false,
          allowServiceWorkers: false,
          supportFetchAPI: false,
          corsEnabled: false,
          stream: false,
          codeCache: true,
        },
      },
    ]);
  });

  it.each(['http', 'file', 'https', 'App', 'a b', ''])('refuses to take over the scheme %j', (scheme) => {
    expect(() => registerAppScheme(scheme)).toThrow(TypeError);
  });
});

describe('registerAppProtocol', () => {
  it('handles the scheme and gives the app origin and start URL', async () => {
    const result = registerAppProtocol({ rootDir: root });
    expect(result).toEqual({ origin: 'app://desktop', startUrl: 'app://desktop/' });
    expect(electron.protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
    const handler = electron.protocol.handle.mock.calls.at(-1)![1] as (r: Request) => Promise<Response>;
    const response = await handler(new Request('app://desktop/'));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<!doctype html><title>App</title>');
  });
});

describe('serveAppRequest', () => {
  const get = (url: string, method = 'GET') => serveAppRequest(new Request(url, { method }), root, 'desktop');

  it.each([
    ['app://desktop/', 'text/html; charset=utf-8'],
    ['app://desktop/index.html', 'text/html; charset=utf-8'],
    ['app://desktop/app.js', 'text/javascript; charset=utf-8'],
    ['app://desktop/styles.css', 'text/css; charset=utf-8'],
    ['app://desktop/assets/logo.svg', 'image/svg+xml'],
  ])('serves %s as %s with the CSP and nosniff', async (url, type) => {
    const response = await get(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('content-security-policy')).toBe(APP_CONTENT_SECURITY_POLICY);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it.each([
    ['an encoded parent segment', 'app://desktop/%2e%2e/secret.txt'],
    ['an encoded slash', 'app://desktop/..%2fsecret.txt'],
    ['an encoded backslash', 'app://desktop/..%5csecret.txt'],
    ['a symlink out of the root', 'app://desktop/leak.txt'],
    ['a hidden file', 'app://desktop/.env'],
    ['an unknown type', 'app://desktop/notes.md'],
    ['a missing file', 'app://desktop/nope.js'],
    ['another host', 'app://evil/index.html'],
    ['a NUL byte', 'app://desktop/index.html%00.js'],
  ])('answers 404 to %s, with the CSP', async (_what, url) => {
    const response = await get(url);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-security-policy')).toBe(APP_CONTENT_SECURITY_POLICY);
    expect(await response.text()).not.toContain('outside the root');
  });

  it('answers 405 to anything but GET and HEAD', async () => {
    expect((await get('app://desktop/index.html', 'POST')).status).toBe(405);
    expect((await get('app://desktop/index.html', 'DELETE')).status).toBe(405);
  });

  it('answers HEAD without a body', async () => {
    const response = await get('app://desktop/index.html', 'HEAD');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });
});

describe('resolveAppFile', () => {
  it.each([
    ['/../secret.txt'],
    ['/assets/../../secret.txt'],
    ['/%2e%2e/secret.txt'],
    ['/..\\secret.txt'],
    ['/%ZZ'],
  ])('refuses the raw path %s', async (urlPath) => {
    expect(await resolveAppFile(root, urlPath)).toBeUndefined();
  });

  it('maps / to index.html inside the root', async () => {
    const file = await resolveAppFile(root, '/');
    expect(file?.filePath).toBe(path.join(root, 'index.html'));
    expect(await readFile(file!.filePath, 'utf8')).toContain('<title>App</title>');
  });

  it('works with a root given as a relative path', async () => {
    const relative = path.relative(process.cwd(), root);
    expect((await resolveAppFile(relative, '/app.js'))?.filePath).toBe(path.join(root, 'app.js'));
  });
});
