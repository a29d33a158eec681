/**
 * Electronegativity (Doyensec's Electron security scanner) over the app's
 * Electron-facing code: the desktop app's sources and the library's
 * `electron/`, `preload/` and `bridge/` folders, as TypeScript (the scanner
 * cannot parse the bundle's class private fields).
 *
 * The scanner exits 0 whatever it finds, so this gates on its report: every
 * finding must be one of {@link REVIEWED}, each with the reason it does not
 * apply; anything else fails. The report is SARIF, not CSV: version 1.10.3
 * writes the CSV header and rows with two concurrent writes, so a CSV can come
 * out with rows lost (read as "no findings"); SARIF is one write, and a partial
 * file fails to parse instead of passing. Its check for Electron releases with
 * security fixes needs the network and is left out (`-x`); the Electron
 * version is given.
 *
 * Run: `node apps/desktop/scripts/electronegativity.ts` (also run by apps/desktop/test/electronegativity.test.ts).
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const desktopRoot = fileURLToPath(new URL('..', import.meta.url));
const libraryRoot = path.join(desktopRoot, '..', '..', 'packages', 'electron-oidc');
const require = createRequire(import.meta.url);

export interface Finding {
  /** The check, e.g. `CONTEXT_ISOLATION_JS_CHECK`. */
  id: string;
  /** `warning`, or `note` for what the scanner itself says needs a manual review. */
  level: string;
  /** Relative to the scanned folder: `desktop/…` for the app, `electron/…`, `preload/…`, `bridge/…` for the library. */
  file: string;
  line: number;
  description: string;
}

export interface ReviewedFinding {
  id: string;
  file: string;
  why: string;
}

/**
 * Findings reviewed and found not to apply. The scanner reads literals: it
 * cannot see through `secureWebPreferences()`, so it flags the window for
 * flags that function sets (proven by its unit test).
 */
export const REVIEWED: readonly ReviewedFinding[] = Object.freeze([
  {
    id: 'CONTEXT_ISOLATION_JS_CHECK',
    file: 'desktop/main/main.ts',
    why: 'webPreferences come from secureWebPreferences(), which sets contextIsolation: true (web-preferences.test.ts).',
  },
  {
    id: 'SANDBOX_JS_CHECK',
    file: 'desktop/main/main.ts',
    why: 'secureWebPreferences() sets sandbox: true, and main.ts calls app.enableSandbox() (main.test.ts).',
  },
  {
    id: 'AUXCLICK_JS_CHECK',
    file: 'desktop/main/main.ts',
    why: "secureWebPreferences() sets disableBlinkFeatures: 'Auxclick', and every new window is denied.",
  },
  {
    id: 'OPEN_EXTERNAL_JS_CHECK',
    file: 'desktop/main/main.ts',
    why: "openInSystemBrowser() opens http(s) URLs only, and only the library's sign-in and sign-out pages (main.test.ts).",
  },
  {
    id: 'CSP_GLOBAL_CHECK',
    file: 'desktop/renderer/index.html',
    why: "csp-evaluator's possible weakness of script-src 'self' (JSONP or uploads on the same origin): the app's origin serves only the built renderer.",
  },
  {
    id: 'CSP_GLOBAL_CHECK',
    file: 'electron/harden.ts',
    why: 'The header value is a constant the scanner cannot resolve; it is the policy of index.html plus frame-ancestors (build.test.ts).',
  },
]);

interface Sarif {
  runs?: Array<{
    results?: Array<{
      ruleId?: string;
      level?: string;
      message?: { text?: string };
      locations?: Array<{
        physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } };
      }>;
    }>;
  }>;
}

/** The findings of a SARIF report as Electronegativity writes it. */
export function findingsOf(report: Sarif): Finding[] {
  if (!Array.isArray(report.runs) || report.runs.length !== 1)
    throw new Error('Unexpected SARIF report: not one run.');
  return (report.runs[0]!.results ?? []).map((result) => {
    const location = result.locations?.[0]?.physicalLocation;
    return {
      id: result.ruleId ?? '',
      level: result.level ?? '',
      file: location?.artifactLocation?.uri ?? '',
      line: location?.region?.startLine ?? 0,
      description: result.message?.text ?? '',
    };
  });
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its output is a banner and a table; the CSV is what counts.
    const child = spawn(command, args, { stdio: 'ignore' });
    child.once('error', reject);
    // The exit code says nothing about findings, and a failed look-up for
    // translations (offline) can make it exit non-zero after writing the report.
    child.once('exit', () => resolve());
  });
}

/**
 * Scans the Electron-facing sources and returns every finding. `extraFiles`
 * (path in the scanned folder → content) are scanned along, for tests that
 * check the gate catches a bad file.
 */
export async function scanWithElectronegativity(
  extraFiles: Readonly<Record<string, string>> = {},
): Promise<Finding[]> {
  const work = await mkdtemp(path.join(tmpdir(), 'electronegativity-'));
  try {
    const input = path.join(work, 'src');
    await cp(path.join(desktopRoot, 'src'), path.join(input, 'desktop'), { recursive: true });
    for (const folder of ['electron', 'preload', 'bridge']) {
      await cp(path.join(libraryRoot, 'src', folder), path.join(input, folder), { recursive: true });
    }
    for (const [file, content] of Object.entries(extraFiles)) {
      await mkdir(path.dirname(path.join(input, file)), { recursive: true });
      await writeFile(path.join(input, file), content);
    }
    const electronVersion = (require('electron/package.json') as { version: string }).version;
    const scanner = path.join(
      path.dirname(require.resolve('@doyensec/electronegativity/package.json')),
      'dist',
      'index.js',
    );
    const sarif = path.join(work, 'findings.sarif');
    await run(process.execPath, [
      scanner,
      ...['-i', input, '-o', sarif, '-r', '-v', 'false'],
      ...['-e', electronVersion, '-x', 'AvailableSecurityFixesGlobalCheck'],
    ]);
    let report: Sarif;
    try {
      report = JSON.parse(await readFile(sarif, 'utf8')) as Sarif;
    } catch (err) {
      throw new Error('Electronegativity wrote no complete report; run it by hand to see why.', {
        cause: err,
      });
    }
    return findingsOf(report);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The findings no review accounts for. */
export function unreviewed(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => !REVIEWED.some((r) => r.id === f.id && r.file === f.file));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const findings = await scanWithElectronegativity();
  const open = unreviewed(findings);
  for (const f of findings) {
    const review = REVIEWED.find((r) => r.id === f.id && r.file === f.file);
    console.log(
      `${review ? 'reviewed' : 'OPEN    '} ${f.id} ${f.file}:${f.line}${review ? ` (${review.why})` : ` ${f.description}`}`,
    );
  }
  console.log(`${findings.length} finding(s), ${open.length} not reviewed.`);
  process.exitCode = open.length > 0 ? 1 : 0;
}
