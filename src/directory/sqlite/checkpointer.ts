import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints of the SQLite write-ahead log, on a worker thread with a connection of its own.
 *
 * Left to SQLite, the commit that takes the log past 1,000 pages copies the pages into the
 * database file and syncs both files, on the thread that committed (sqlite.org/wal.html,
 * "Automatic Checkpoint"). Here that thread is the event loop: each such commit stopped every
 * request and every target call for a sync, 11 to 15 ms, and the checkpoints took half the time
 * of a stream of small write transactions. A checkpoint from another connection does the same
 * work beside the writer: PASSIVE copies what no reader still needs, without waiting for readers
 * or writers (sqlite.org/pragma.html#pragma_wal_checkpoint).
 *
 * The store asks for a checkpoint every `everyCommits` commits, at most one at a time. The
 * worker starts at the first request, so a store with little to write starts no thread; until it
 * is ready (a few hundred ms under load) SQLite checkpoints as before, so the worker's first
 * checkpoint is not a long one. From then on the store's own connection checkpoints only past
 * {@link BACKSTOP_PAGES}, so the log stays bounded if the worker falls behind; if the worker
 * fails, the store goes back to SQLite's default.
 */

/** Where the store's own connection checkpoints while the worker runs: about 40 MiB of log at 4 KiB pages. */
export const BACKSTOP_PAGES = 10_000;
/**
 * The log length (frames) past which the store's connection finishes a worker's checkpoint. A
 * log starts over from its beginning only when a write begins with every frame copied, which a
 * store that writes while the worker copies never sees: the log would grow to the backstop, and
 * the checkpoint there stalled the store's thread for 40 to 100 ms. Finished by the store right
 * after the worker, a checkpoint has only the frames of the last few commits left to copy.
 */
export const RESTART_FRAMES = 2_000;
/** SQLite's default `wal_autocheckpoint`. */
export const DEFAULT_PAGES = 1_000;

/** What the worker answers to a checkpoint request: `wal_checkpoint`'s row, or why it failed. */
export type CheckpointResult = { ok: true; busy: number; log: number; checkpointed: number } | { ok: false; message: string };

// CommonJS, run with `eval`: the same source works from the TypeScript sources (tests) and the build.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('wal_autocheckpoint = 0');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, ...row });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: String(err && err.message) });
  }
});
parentPort.postMessage('ready');
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** Options of {@link WalCheckpointer}. */
export interface WalCheckpointerOptions {
  /** The database file. */
  path: string;
  /** Commits between two checkpoint requests. */
  everyCommits: number;
  /** Sets the store connection's own `wal_autocheckpoint` (pages). */
  setAutoCheckpoint: (pages: number) => void;
  /** Checkpoints on the store's own connection what a worker's checkpoint left (see {@link RESTART_FRAMES}). */
  finish: () => void;
}

/** The worker-thread checkpointer of one SQLite store (see the module comment). */
export class WalCheckpointer {
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;
  private ready: Promise<boolean> | undefined;
  private inFlight: Promise<CheckpointResult | undefined> | undefined;
  private commits = 0;
  private isFailed = false;
  private isClosed = false;

  constructor(private readonly options: WalCheckpointerOptions) {}

  /** Counts a commit; every `everyCommits` commits, asks for a checkpoint unless one is running. */
  noteCommit(): void {
    if (this.isFailed || this.isClosed || ++this.commits < this.options.everyCommits || this.inFlight) return;
    this.commits = 0;
    // Nobody awaits this one. checkpoint() answers every failure it knows of with a result; should
    // anything else reject, SQLite's own checkpoints come back rather than an unhandled rejection
    // ending the process.
    this.checkpoint().catch(() => this.fail());
  }

  /** Runs one checkpoint now (after the one in flight, if any); undefined when the worker is not working. */
  async checkpoint(): Promise<CheckpointResult | undefined> {
    await this.inFlight;
    if (this.isFailed || this.isClosed) return undefined;
    const running = this.request().finally(() => {
      if (this.inFlight === running) this.inFlight = undefined;
    });
    this.inFlight = running;
    return running;
  }

  /** Stops the worker and closes its connection (the store's close checkpoints what is left). */
  async close(): Promise<void> {
    this.isClosed = true;
    // Unref'd, the worker would not keep the process alive for the answers awaited here.
    this.worker?.ref();
    await this.inFlight?.catch(() => undefined);
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    // The worker closes its connection itself; one that failed is terminated already.
    if ((await this.ready) === true && !this.isFailed) worker.postMessage('close');
    else void worker.terminate();
    await this.exited;
  }

  private async request(): Promise<CheckpointResult | undefined> {
    if (!(await this.start())) return undefined;
    const worker = this.worker as Worker;
    const result = await new Promise<CheckpointResult>((resolve) => {
      const onExit = (): void => resolve({ ok: false, message: 'the checkpoint worker exited' });
      worker.once('exit', onExit);
      worker.once('message', (message: CheckpointResult) => {
        worker.off('exit', onExit);
        resolve(message);
      });
      worker.postMessage('checkpoint');
    });
    if (!result.ok) this.fail();
    else if (result.log >= RESTART_FRAMES && !this.isClosed) {
      try {
        this.options.finish();
      } catch (err) {
        // A PASSIVE checkpoint reports a busy log in its row rather than throwing: this is a disk
        // error, say. The log is left to SQLite's own checkpoints for the rest of the process.
        this.fail();
        return { ok: false, message: err instanceof Error ? err.message : String(err) };
      }
    }
    return result;
  }

  /** Starts the worker once; true when it is ready. */
  private start(): Promise<boolean> {
    this.ready ??= new Promise<boolean>((resolve) => {
      const worker = new Worker(workerSource, { eval: true, workerData: { driver, path: this.options.path } });
      worker.unref();
      this.worker = worker;
      this.exited = new Promise<void>((done) => worker.once('exit', () => done()));
      worker.once('message', (message: unknown) => {
        // A throw in this listener would be an uncaught exception, and `ready` would never settle.
        const isReady = message === 'ready' && (this.isClosed || this.setAutoCheckpoint(BACKSTOP_PAGES));
        if (!isReady) this.fail();
        resolve(isReady);
      });
      worker.on('error', () => {
        this.fail();
        resolve(false);
      });
    });
    return this.ready;
  }

  /** Back to SQLite's own checkpoints on the store's connection; the worker is not asked again. */
  private fail(): void {
    if (this.isFailed) return;
    this.isFailed = true;
    // Should even this setting fail, the connection keeps the one it had (the backstop at most): the log stays bounded.
    if (!this.isClosed) this.setAutoCheckpoint(DEFAULT_PAGES);
    void this.worker?.terminate();
  }

  /** The store connection's `wal_autocheckpoint`; false when the connection refused it. */
  private setAutoCheckpoint(pages: number): boolean {
    try {
      this.options.setAutoCheckpoint(pages);
      return true;
    } catch {
      return false;
    }
  }
}
