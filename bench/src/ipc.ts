// The benchmark's processes talk over Node's IPC channel: the orchestrator asks, a child answers.
import type { ChildProcess } from 'node:child_process';

/** A request from the orchestrator; `id` pairs it with its answer. */
export interface IpcRequest {
  id: number;
  type: string;
  [key: string]: unknown;
}

/** What a server child reports: CPU time used so far (µs) and how many requests it served. */
export interface CpuSnapshot {
  userMicros: number;
  systemMicros: number;
}

/** In a child: answers each request with `handler`'s result. */
export function serveIpc(handler: (request: IpcRequest) => Promise<unknown> | unknown): void {
  process.on('message', (message: IpcRequest) => {
    void Promise.resolve()
      .then(() => handler(message))
      .then(
        (result) => process.send?.({ id: message.id, ok: true, result }),
        (err: unknown) => process.send?.({ id: message.id, ok: false, error: String(err) }),
      );
  });
  // The orchestrator going away ends the child: nothing is left running.
  process.on('disconnect', () => process.exit(0));
}

/** In the orchestrator: a typed call into a child. */
export function ipcClient(
  child: ChildProcess,
): <T>(type: string, body?: Record<string, unknown>) => Promise<T> {
  let next = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  child.on('message', (message: { id?: number; ok: boolean; result?: unknown; error?: string }) => {
    if (message.id === undefined) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.ok) waiter?.resolve(message.result);
    else waiter?.reject(new Error(message.error));
  });
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`child exited with ${code}`));
    pending.clear();
  });
  return <T>(type: string, body: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      next += 1;
      pending.set(next, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...body, id: next, type });
    });
}
