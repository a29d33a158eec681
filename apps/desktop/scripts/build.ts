/**
 * Builds the desktop app into dist/ with esbuild:
 *
 *   dist/main.js          the main process (ES module; `electron` and the native keyring stay external)
 *   dist/preload.cjs      the preload (CommonJS: a sandboxed preload cannot be an ES module)
 *   dist/renderer/        index.html, app.js, styles.css
 *
 * Type-checking is not esbuild's job: `npm run typecheck` at the root does it.
 * Run: `npm run build -w @electron-oidc/desktop` (or `node apps/desktop/scripts/build.ts`).
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

export const desktopRoot = fileURLToPath(new URL('..', import.meta.url));
const src = (...parts: string[]): string => path.join(desktopRoot, 'src', ...parts);

/** Files copied as they are into the renderer's output folder. */
const RENDERER_STATIC = ['index.html', 'styles.css'];

export interface BuildOptions {
  /** Where to write; default apps/desktop/dist. */
  outDir?: string;
  /** Minify (default false: readable output, and this is not a web page download). */
  minify?: boolean;
}

/** Builds only the renderer into `outDir` (index.html, app.js, styles.css); the e2e harness serves this. */
export async function buildRenderer(outDir: string, options: { minify?: boolean } = {}): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [src('renderer', 'app.ts')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    platform: 'browser',
    // A classic script: one file needs no module loading, and a classic script from
    // the custom scheme needs no CORS or fetch privilege for it.
    format: 'iife',
    target: 'chrome140',
    sourcemap: false,
    minify: options.minify ?? false,
    logLevel: 'warning',
  });
  await Promise.all(RENDERER_STATIC.map((file) => copyFile(src('renderer', file), path.join(outDir, file))));
}

/** Bundles the preload as CommonJS with `electron` external, or, for tests, aliased to a stand-in module. */
export async function bundlePreload(
  options: {
    outfile?: string;
    electronModule?: string;
    platform?: 'node' | 'browser';
    format?: 'cjs' | 'iife';
  } = {},
): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [src('preload', 'preload.ts')],
    bundle: true,
    platform: options.platform ?? 'node',
    format: options.format ?? 'cjs',
    target: options.platform === 'browser' ? 'chrome140' : 'node22',
    ...(options.electronModule === undefined
      ? { external: ['electron'] }
      : { alias: { electron: options.electronModule } }),
    write: options.outfile !== undefined,
    ...(options.outfile === undefined ? {} : { outfile: options.outfile }),
    logLevel: 'warning',
  });
  return result.outputFiles?.[0]?.text ?? '';
}

export async function buildDesktop(options: BuildOptions = {}): Promise<string> {
  const outDir = options.outDir ?? path.join(desktopRoot, 'dist');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await Promise.all([
    esbuild.build({
      entryPoints: [src('main', 'main.ts')],
      outfile: path.join(outDir, 'main.js'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      // Electron provides `electron`; the keyring is a native addon loaded from node_modules.
      external: ['electron', '@napi-rs/keyring'],
      // Bundled CommonJS dependencies may call require(); give the ES module one.
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
      minify: options.minify ?? false,
      logLevel: 'warning',
    }),
    bundlePreload({ outfile: path.join(outDir, 'preload.cjs') }),
    buildRenderer(path.join(outDir, 'renderer'), { minify: options.minify }),
  ]);
  return outDir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const outDir = await buildDesktop({ minify: process.argv.includes('--minify') });
  console.log(`Built the desktop app into ${path.relative(process.cwd(), outDir) || '.'}`);
}
