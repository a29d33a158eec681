import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The plain-Node part of the adapters (the index would load electron, which cannot run here).
import { APP_CONTENT_SECURITY_POLICY } from 'electron-oidc/app-files';
import { buildDesktop } from '../scripts/build.ts';

let outDir: string;

beforeAll(async () => {
  outDir = await buildDesktop({
    outDir: path.join(await mkdtemp(path.join(tmpdir(), 'desktop-build-')), 'dist'),
  });
});

afterAll(async () => {
  await rm(path.dirname(outDir), { recursive: true, force: true });
});

/** The bare module specifiers a bundle still imports or requires at run time. */
function externalModules(code: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /^\s*import\s[^;]*?\bfrom\s*["']([^"']+)["']/gm, // static imports, at the start of a line
    /^\s*import\s*["']([^"']+)["']/gm, // side-effect imports
    /\bimport\(\s*["']([^"']+)["']\s*\)/g, // dynamic imports
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) {
      if (!match[1]!.startsWith('.')) found.add(match[1]!);
    }
  }
  return [...found].sort();
}

describe('the desktop build', () => {
  it('writes the main process, the preload and the renderer', async () => {
    expect((await readdir(outDir)).sort()).toEqual(['main.js', 'preload.cjs', 'renderer']);
    expect((await readdir(path.join(outDir, 'renderer'))).sort()).toEqual([
      'app.js',
      'index.html',
      'styles.css',
    ]);
  });

  it('bundles the main process as an ES module that needs only Electron, the native keyring and Node', async () => {
    const main = await readFile(path.join(outDir, 'main.js'), 'utf8');
    const external = externalModules(main).filter((m) => !m.startsWith('node:'));
    expect(external).toEqual(['@napi-rs/keyring', 'electron']);
  });

  it('bundles the preload as CommonJS that requires nothing but electron (a sandboxed preload can require little else)', async () => {
    const preload = await readFile(path.join(outDir, 'preload.cjs'), 'utf8');
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
    expect(externalModules(preload)).toEqual(['electron']);
  });

  it('bundles the renderer into one script that imports nothing and holds no Node or Electron code', async () => {
    const app = await readFile(path.join(outDir, 'renderer', 'app.js'), 'utf8');
    expect(externalModules(app)).toEqual([]);
    expect(app).not.toMatch(/\brequire\(|ipcRenderer|contextBridge/);
  });

  it('ships an index.html that loads only its own script and stylesheet, under the CSP', async () => {
    const html = await readFile(path.join(outDir, 'renderer', 'index.html'), 'utf8');
    const sources = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.sort()).toEqual(['#main', 'app.js', 'styles.css']);
    // The <meta> copy is the header's policy, less frame-ancestors (which a <meta> cannot carry).
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    const header = APP_CONTENT_SECURITY_POLICY.split('; ').filter((d) => !d.startsWith('frame-ancestors'));
    expect(meta?.split('; ')).toEqual(header);
    expect(html).not.toMatch(/<script>|\son\w+=|style="/);
  });
});
