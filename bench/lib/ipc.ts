import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Servers under test run in child processes, so the load generator never shares their event
 * loop. Parent and child talk over the fork IPC channel: the child says `ready` (with its URL),
 * then answers questions (`progress`, `calls`, ...) until it is told to `stop`.
 */

/** What a child answers to one question. */
export type Handler = (body: unknown) => unknown;

interface Question {
  id: number;
  type: string;
  body?: unknown;
}

interface Answer {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

/** A running child process. */
export interface ChildHandle {
  readonly pid: number;
  /** What the child sent with `ready`. */
  readonly ready: unknown;
  ask<T>(type: string, body?: unknown): Promise<T>;
  /** Asks the child to close its servers and exit; kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Forks a compiled child entry (a URL next to the caller), with `execArgv` as Node's own flags, and waits for its `ready` message. */
export async function forkChild(entry: URL, env: Record<string, string>, execArgv: readonly string[] = [], readyTimeoutMs = 60_000): Promise<ChildHandle> {
  const child = fork(fileURLToPath(entry), [], { env: { ...process.env, ...env }, execArgv: [...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (message: unknown) => {
    const answer = message as Answer;
    const waiter = pending.get(answer.id);
    if (!waiter) return;
    pending.delete(answer.id);
    if (answer.ok) waiter.resolve(answer.value);
    else waiter.reject(new Error(answer.error ?? 'child failed'));
  });
  void exited.then(() => {
    for (const waiter of pending.values()) waiter.reject(new Error(`child ${child.pid ?? '?'} exited`));
    pending.clear();
  });
  const ask = <T>(type: string, body?: unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, type, body } satisfies Question);
    });
  const ready = await withTimeout(ask<unknown>('ready'), readyTimeoutMs, `child ${entry.pathname} not ready`).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return { pid: child.pid as number, ready, ask, stop: (graceMs = 15_000) => stopChild(child, ask, exited, graceMs) };
}

async function stopChild(child: ChildProcess, ask: ChildHandle['ask'], exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await withTimeout(ask('stop'), graceMs, 'child did not stop').catch(() => undefined);
  await withTimeout(exited, graceMs, 'child did not exit').catch(() => {
    child.kill('SIGKILL');
  });
}

/** Rejects with `message` when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Child side: answers the parent's questions. `ready` resolves with `start()`'s value; `stop`
 * runs `close()` then exits. A lost parent (IPC disconnect) also ends the child.
 */
export function serveParent(start: () => Promise<unknown>, handlers: Record<string, Handler>, close: () => Promise<void>): void {
  const started = start();
  const all: Record<string, Handler> = { ...handlers, ready: () => started, stop: () => close() };
  process.on('message', (message: unknown) => {
    const { id, type, body } = message as Question;
    const handler = all[type];
    const reply = (answer: Answer): void => {
      process.send?.(answer);
      if (type === 'stop') setImmediate(() => process.exit(0));
    };
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown question ${type}`);
        return handler(body);
      })
      .then(
        (value) => reply({ id, ok: true, value }),
        (err: unknown) => reply({ id, ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
  });
  process.once('disconnect', () => {
    void close().finally(() => process.exit(0));
  });
}
