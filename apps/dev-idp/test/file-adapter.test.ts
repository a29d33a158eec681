import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileStore } from '../src/adapter/file-adapter.ts';
import { makeDataDir, removeDir } from './support.ts';

let dir: string;

beforeEach(async () => {
  dir = await makeDataDir();
});

afterEach(async () => {
  vi.useRealTimers();
  await removeDir(dir);
});

describe('FileStore adapters', () => {
  it('find what was upserted, also from a new store on the same folder (a restart)', async () => {
    const store = new FileStore(dir);
    await store.adapterFor('RefreshToken').upsert('rt1', { grantId: 'g1', kind: 'RefreshToken' }, 60);
    expect(await new FileStore(dir).adapterFor('RefreshToken').find('rt1')).toEqual({
      grantId: 'g1',
      kind: 'RefreshToken',
    });
  });

  it('keep models apart', async () => {
    const store = new FileStore(dir);
    await store.adapterFor('Grant').upsert('same-id', { kind: 'Grant' }, 60);
    expect(await store.adapterFor('Session').find('same-id')).toBeUndefined();
  });

  it('forget a record once expiresIn seconds have passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const adapter = new FileStore(dir).adapterFor('AccessToken');
    await adapter.upsert('at', { kind: 'AccessToken' }, 10);
    vi.setSystemTime(new Date('2030-01-01T00:00:09Z'));
    expect(await adapter.find('at')).toBeDefined();
    vi.setSystemTime(new Date('2030-01-01T00:00:10Z'));
    expect(await adapter.find('at')).toBeUndefined();
  });

  it('mark a consumed record and keep the mark across a restart', async () => {
    const store = new FileStore(dir);
    await store.adapterFor('AuthorizationCode').upsert('code', { kind: 'AuthorizationCode' }, 60);
    await store.adapterFor('AuthorizationCode').consume('code');
    const found = await new FileStore(dir).adapterFor('AuthorizationCode').find('code');
    expect(found?.consumed).toEqual(expect.any(Number));
  });

  it('destroy a record', async () => {
    const adapter = new FileStore(dir).adapterFor('Session');
    await adapter.upsert('s', { kind: 'Session' }, 60);
    await adapter.destroy('s');
    expect(await adapter.find('s')).toBeUndefined();
    expect(await new FileStore(dir).adapterFor('Session').find('s')).toBeUndefined();
  });

  it('revoke every record of a grant and nothing else', async () => {
    const adapter = new FileStore(dir).adapterFor('RefreshToken');
    await adapter.upsert('a', { grantId: 'g1' }, 60);
    await adapter.upsert('b', { grantId: 'g1' }, 60);
    await adapter.upsert('c', { grantId: 'g2' }, 60);
    await adapter.revokeByGrantId('g1');
    expect(await adapter.find('a')).toBeUndefined();
    expect(await adapter.find('b')).toBeUndefined();
    expect(await adapter.find('c')).toBeDefined();
  });

  it('find a session by its uid and a device code by its user code', async () => {
    const store = new FileStore(dir);
    await store.adapterFor('Session').upsert('jti', { uid: 'uid-1', accountId: 'alice' }, 60);
    await store.adapterFor('DeviceCode').upsert('dc', { userCode: 'ABCD-EFGH' }, 60);
    expect(await store.adapterFor('Session').findByUid('uid-1')).toMatchObject({ accountId: 'alice' });
    expect(await store.adapterFor('Session').findByUid('uid-2')).toBeUndefined();
    expect(await store.adapterFor('DeviceCode').findByUserCode('ABCD-EFGH')).toBeDefined();
  });

  it('hand out copies, so changing a found payload does not change the store', async () => {
    const adapter = new FileStore(dir).adapterFor('Grant');
    await adapter.upsert('g', { accountId: 'alice' }, 60);
    const found = await adapter.find('g');
    found!.accountId = 'mallory';
    expect((await adapter.find('g'))?.accountId).toBe('alice');
  });

  it('write every concurrent change and leave no temporary files', async () => {
    const store = new FileStore(dir);
    const adapter = store.adapterFor('Interaction');
    await Promise.all(Array.from({ length: 20 }, (_, i) => adapter.upsert(`i${i}`, { uid: `u${i}` }, 60)));
    await store.flush();
    expect(await readdir(dir)).toEqual(['Interaction.json']);
    expect(Object.keys(JSON.parse(await readFile(path.join(dir, 'Interaction.json'), 'utf8')))).toHaveLength(
      20,
    );
  });

  it('undo a change whose write failed (disk full), so a refresh token is not left consumed in memory only', async () => {
    const store = new FileStore(dir);
    const tokens = store.adapterFor('RefreshToken');
    await tokens.upsert('rt', { grantId: 'g', kind: 'RefreshToken' }, 60);
    await tokens.upsert('other', { grantId: 'h', kind: 'RefreshToken' }, 60);
    // The folder becomes unwritable: a file stands where it was, so every write fails.
    await rename(dir, `${dir}.away`);
    await writeFile(dir, 'not a folder');
    try {
      await expect(tokens.consume('rt')).rejects.toThrow();
      await expect(tokens.upsert('rt2', { grantId: 'g', kind: 'RefreshToken' }, 60)).rejects.toThrow();
      await expect(tokens.destroy('other')).rejects.toThrow();
      await expect(tokens.revokeByGrantId('g')).rejects.toThrow();
      expect(await tokens.find('rt')).toEqual({ grantId: 'g', kind: 'RefreshToken' });
      expect(await tokens.find('rt2')).toBeUndefined();
      expect(await tokens.find('other')).toBeDefined();
    } finally {
      await rm(dir);
      await rename(`${dir}.away`, dir);
    }
    // Space again: the next change is written, and a restart sees what the provider answered.
    await tokens.consume('other');
    const restarted = new FileStore(dir).adapterFor('RefreshToken');
    expect(await restarted.find('rt')).toEqual({ grantId: 'g', kind: 'RefreshToken' });
    expect((await restarted.find('other'))?.consumed).toEqual(expect.any(Number));
  });

  it('say how to recover from a corrupt file', async () => {
    await writeFile(path.join(dir, 'Grant.json'), '{ not json');
    await expect(new FileStore(dir).adapterFor('Grant').find('g')).rejects.toThrow(/npm run idp:reset/);
  });
});
