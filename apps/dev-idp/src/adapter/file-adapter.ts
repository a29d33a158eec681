import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { writeFileAtomic } from 'electron-oidc/atomic-file';

interface StoredRecord {
  payload: AdapterPayload;
  /** Epoch milliseconds after which the record is gone; absent: kept until destroyed. */
  expiresAt?: number;
}

/**
 * Persists oidc-provider's models (grants, sessions, refresh tokens, …) as one
 * JSON file per model in a folder, so that a restart keeps people signed in.
 * Each model's records are held in memory and the file is rewritten whole,
 * atomically, after every change; an operation resolves once its change is on
 * disk. Meant for one development provider process per folder: two processes
 * sharing a folder would overwrite each other's changes.
 */
export class FileStore {
  readonly #dir: string;
  readonly #collections = new Map<string, Collection>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The factory for oidc-provider's `adapter` option (called once per model name). */
  readonly adapterFor = (model: string): Adapter => new FileAdapter(this.#collection(model));

  /** Resolves once every change made so far is written. */
  async flush(): Promise<void> {
    await Promise.all([...this.#collections.values()].map((collection) => collection.flush()));
  }

  #collection(model: string): Collection {
    if (!/^\w+$/.test(model)) {
      throw new TypeError(
        `Unexpected oidc-provider model name "${model}"; expected letters, digits and _ only.`,
      );
    }
    let collection = this.#collections.get(model);
    if (!collection) {
      collection = new Collection(path.join(this.#dir, `${model}.json`));
      this.#collections.set(model, collection);
    }
    return collection;
  }
}

/** The records of one model and the file that holds them. */
class Collection {
  readonly #file: string;
  #records: Promise<Map<string, StoredRecord>> | undefined;
  #lastWrite: Promise<void> = Promise.resolve();
  #queuedWrite: Promise<void> | undefined;

  constructor(file: string) {
    this.#file = file;
  }

  /** The live records, with expired ones dropped. */
  async records(): Promise<Map<string, StoredRecord>> {
    this.#records ??= this.#load();
    const records = await this.#records;
    const now = Date.now();
    for (const [id, record] of records) {
      if (record.expiresAt !== undefined && record.expiresAt <= now) records.delete(id);
    }
    return records;
  }

  /**
   * Writes the current records. A call made while a write is in progress
   * queues one more write, which takes its snapshot when it starts, so it
   * includes every change made before the call; calls made while that write
   * is still queued share it.
   */
  save(): Promise<void> {
    if (!this.#queuedWrite) {
      const write = this.#lastWrite.then(async () => {
        this.#queuedWrite = undefined;
        const records = await this.records();
        await writeFileAtomic(this.#file, JSON.stringify(Object.fromEntries(records)));
      });
      this.#queuedWrite = write;
      this.#lastWrite = write.catch(() => undefined);
    }
    return this.#queuedWrite;
  }

  flush(): Promise<void> {
    return this.#lastWrite;
  }

  async #load(): Promise<Map<string, StoredRecord>> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    try {
      return new Map(Object.entries(JSON.parse(text) as Record<string, StoredRecord>));
    } catch (cause) {
      throw new Error(
        `The provider's store ${this.#file} is not valid JSON; run "npm run idp:reset" to start afresh.`,
        {
          cause,
        },
      );
    }
  }
}

/** oidc-provider's Adapter contract over one model's records. */
class FileAdapter implements Adapter {
  readonly #collection: Collection;

  constructor(collection: Collection) {
    this.#collection = collection;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const records = await this.#collection.records();
    const record: StoredRecord = { payload: structuredClone(payload) };
    if (typeof expiresIn === 'number') record.expiresAt = Date.now() + expiresIn * 1000;
    const previous = records.get(id);
    records.set(id, record);
    await this.#saveOrUndo(() => {
      if (records.get(id) !== record) return;
      if (previous) records.set(id, previous);
      else records.delete(id);
    });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const record = (await this.#collection.records()).get(id);
    return record && structuredClone(record.payload);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere((payload) => payload.uid === uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere((payload) => payload.userCode === userCode);
  }

  async consume(id: string): Promise<void> {
    const record = (await this.#collection.records()).get(id);
    if (!record) return;
    const previous = record.payload.consumed;
    const consumed = Math.floor(Date.now() / 1000);
    record.payload.consumed = consumed;
    await this.#saveOrUndo(() => {
      if (record.payload.consumed !== consumed) return;
      if (previous === undefined) delete record.payload.consumed;
      else record.payload.consumed = previous;
    });
  }

  async destroy(id: string): Promise<void> {
    const records = await this.#collection.records();
    const previous = records.get(id);
    if (!previous || !records.delete(id)) return;
    await this.#saveOrUndo(() => {
      if (!records.has(id)) records.set(id, previous);
    });
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const records = await this.#collection.records();
    const removed = new Map<string, StoredRecord>();
    for (const [id, record] of records) {
      if (record.payload.grantId === grantId) {
        records.delete(id);
        removed.set(id, record);
      }
    }
    if (removed.size === 0) return;
    await this.#saveOrUndo(() => {
      for (const [id, record] of removed) if (!records.has(id)) records.set(id, record);
    });
  }

  /**
   * Writes the change, or undoes it in memory when the write fails (e.g.
   * ENOSPC), so that the provider's answer (a 500) and its state agree: the
   * operation did not happen. Without this, a refresh token consumed in memory
   * but not on disk would count as "already used" on the client's retry, and
   * oidc-provider would revoke the whole grant over a full disk.
   */
  async #saveOrUndo(undo: () => void): Promise<void> {
    try {
      await this.#collection.save();
    } catch (error) {
      undo();
      throw error;
    }
  }

  async #findWhere(matches: (payload: AdapterPayload) => boolean): Promise<AdapterPayload | undefined> {
    for (const record of (await this.#collection.records()).values()) {
      if (matches(record.payload)) return structuredClone(record.payload);
    }
    return undefined;
  }
}
