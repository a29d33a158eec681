/**
 * Electronegativity over the Electron-facing code: nothing it finds is left
 * unreviewed (see REVIEWED in scripts/electronegativity.ts for why each
 * reviewed finding does not apply).
 */
import { describe, expect, it } from 'vitest';
import { REVIEWED, scanWithElectronegativity, unreviewed } from '../scripts/electronegativity.ts';

describe('Electronegativity', () => {
  it('finds nothing that has not been reviewed', async () => {
    const findings = await scanWithElectronegativity();
    expect(unreviewed(findings)).toEqual([]);
    // The scan did cover the window's creation (it flags the options it cannot see through).
    expect(findings).toContainEqual(
      expect.objectContaining({ id: 'CONTEXT_ISOLATION_JS_CHECK', file: 'desktop/main/main.ts' }),
    );
    // Navigation limits and the permission handler were found (these global checks fire when they are missing).
    const ids = findings.map((f) => f.id);
    expect(ids).not.toContain('LIMIT_NAVIGATION_GLOBAL_CHECK');
    expect(ids).not.toContain('PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK');
  });

  it('catches a window that weakens the defaults', async () => {
    const rogue = `import { BrowserWindow } from 'electron';
export const win = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false } });
`;
    const open = unreviewed(await scanWithElectronegativity({ 'desktop/main/rogue.ts': rogue }));
    expect(open.map((f) => `${f.id} ${f.file}`)).toEqual(
      expect.arrayContaining([
        'SANDBOX_JS_CHECK desktop/main/rogue.ts',
        'CONTEXT_ISOLATION_JS_CHECK desktop/main/rogue.ts',
      ]),
    );
  });

  it('gives a reason for every reviewed finding', () => {
    for (const review of REVIEWED) expect(review.why.length).toBeGreaterThan(20);
  });
});
