import { execFile } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDataDir, removeDir, startTestIdp } from './support.ts';

const run = promisify(execFile);
let dataDir: string;

beforeEach(async () => {
  dataDir = await makeDataDir();
});

afterEach(async () => {
  await removeDir(dataDir);
});

describe('npm run idp:reset', () => {
  it("removes the provider's keys and store but nothing else in the folder", async () => {
    const idp = await startTestIdp(dataDir);
    // A valid authorization request makes the provider store an Interaction.
    const started = await fetch(
      `${idp.issuer}/auth?client_id=desktop-app&response_type=code&scope=openid` +
        `&redirect_uri=http://127.0.0.1:5000/callback&code_challenge_method=S256&code_challenge=${'a'.repeat(43)}`,
      { redirect: 'manual' },
    );
    expect(started.headers.get('location')).toMatch(/^\/interaction\//);
    await idp.close();
    await writeFile(path.join(dataDir, 'notes.txt'), 'mine');
    expect((await readdir(dataDir)).sort()).toEqual(['keys.json', 'notes.txt', 'store']);

    await run(process.execPath, [path.join(import.meta.dirname, '..', 'src', 'reset.ts')], {
      env: { ...process.env, IDP_DATA_DIR: dataDir },
    });
    expect(await readdir(dataDir)).toEqual(['notes.txt']);
  });
});
