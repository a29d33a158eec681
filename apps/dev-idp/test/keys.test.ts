import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dpopNonceSecretOf, KEYS_FILE, loadOrCreateKeys } from '../src/keys.ts';
import { makeDataDir, removeDir } from './support.ts';

let dataDir: string;

beforeEach(async () => {
  dataDir = await makeDataDir();
});

afterEach(async () => {
  await removeDir(dataDir);
});

describe("the provider's keys", () => {
  it('include a 32-byte DPoP nonce secret, the same on every load', async () => {
    const first = await loadOrCreateKeys(dataDir);
    expect(dpopNonceSecretOf(first)).toHaveLength(32);
    const again = await loadOrCreateKeys(dataDir);
    expect(again.dpopNonceSecret).toBe(first.dpopNonceSecret);
  });

  it('gain a DPoP nonce secret in a data folder from before, keeping the other keys', async () => {
    const { dpopNonceSecret: _dropped, ...older } = await loadOrCreateKeys(dataDir);
    const file = path.join(dataDir, KEYS_FILE);
    await writeFile(file, JSON.stringify(older));
    const upgraded = await loadOrCreateKeys(dataDir);
    expect(upgraded).toMatchObject(older);
    expect(dpopNonceSecretOf(upgraded)).toHaveLength(32);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(upgraded);
  });

  it('refuse a DPoP nonce secret of the wrong length, saying how to start afresh', async () => {
    const keys = await loadOrCreateKeys(dataDir);
    await writeFile(path.join(dataDir, KEYS_FILE), JSON.stringify({ ...keys, dpopNonceSecret: 'c2hvcnQ' }));
    await expect(loadOrCreateKeys(dataDir)).rejects.toThrow(/DPoP nonce secret.*idp:reset/);
  });
});
