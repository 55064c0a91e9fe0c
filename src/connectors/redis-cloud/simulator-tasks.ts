import { randomUUID } from 'node:crypto';
import type { RedisCloudProcessorResponse, RedisCloudTaskStatus } from './schemas.js';

/** Timers that never keep the process alive and all stop at once. */
export interface SimTimers {
  after(ms: number, fn: () => void): void;
  clear(): void;
}

/** Creates a {@link SimTimers}. */
export function createSimTimers(): SimTimers {
  const pending = new Set<NodeJS.Timeout>();
  return {
    after(ms, fn) {
      const timer = setTimeout(() => {
        pending.delete(timer);
        fn();
      }, ms);
      timer.unref();
      pending.add(timer);
    },
    clear() {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    },
  };
}

/** A task as the simulator keeps it (the wire shape adds `_links`). */
export interface SimTask {
  taskId: string;
  commandType: string;
  status: RedisCloudTaskStatus;
  description: string;
  timestamp: string;
  response?: RedisCloudProcessorResponse;
}

/** What running a task produced: a resource id, or an RC-OAS `ProcessorResponse.error` code. */
export type SimTaskOutcome = { resourceId: number } | { error: string; additionalInfo: string };

// Descriptions as in the examples of Redis Cloud's manage-tasks docs.
const descriptions: Record<RedisCloudTaskStatus, string> = {
  initialized: 'Task request initialized.',
  received: 'Task request received and is being queued for processing.',
  'processing-in-progress': 'Task request is being processed.',
  'processing-completed': 'Request processing completed successfully.',
  'processing-error': 'Task request failed during processing. See error information for failure details.',
};

// GET /tasks lists the past 10 days (manage-tasks.md); the simulator keeps the latest tasks instead.
const maxKeptTasks = 1000;

interface QueuedTask {
  task: SimTask;
  /** Order of the last status change, to list the most recent first even within one millisecond. */
  seq: number;
  run: () => SimTaskOutcome;
}

/**
 * The account's task processor: one task at a time, the others wait in `received`
 * (Redis Cloud's process-lifecycle docs); each status step takes `stepMs`.
 */
export class SimTaskQueue {
  private readonly all = new Map<string, QueuedTask>();
  private waiting: QueuedTask[] = [];
  private isBusy = false;
  private seq = 0;

  constructor(
    private readonly timers: SimTimers,
    private readonly options: { stepMs: number; maxQueued: number },
  ) {}

  /** Queues a task; undefined when `maxQueued` tasks already wait (the API answers 429 then). */
  enqueue(commandType: string, run: () => SimTaskOutcome): SimTask | undefined {
    if (this.waiting.length >= this.options.maxQueued) return undefined;
    const queued: QueuedTask = { task: { taskId: randomUUID(), commandType, status: 'received', description: '', timestamp: '' }, seq: 0, run };
    this.setStatus(queued, 'received');
    this.all.set(queued.task.taskId, queued);
    this.forgetOldest();
    this.waiting.push(queued);
    this.pump();
    return queued.task;
  }

  get(taskId: string): SimTask | undefined {
    return this.all.get(taskId)?.task;
  }

  /** Every task, the most recent status update first (manage-tasks.md). */
  list(): SimTask[] {
    return [...this.all.values()].sort((a, b) => b.seq - a.seq).map((q) => q.task);
  }

  /** Forgets every task; the caller clears the timers. */
  clear(): void {
    this.all.clear();
    this.waiting = [];
    this.isBusy = false;
  }

  private forgetOldest(): void {
    if (this.all.size <= maxKeptTasks) return;
    const oldest = [...this.all.values()].find((q) => q.task.status === 'processing-completed' || q.task.status === 'processing-error');
    if (oldest) this.all.delete(oldest.task.taskId);
  }

  private pump(): void {
    if (this.isBusy) return;
    const next = this.waiting.shift();
    if (!next) return;
    this.isBusy = true;
    this.timers.after(this.options.stepMs, () => {
      this.setStatus(next, 'processing-in-progress');
      this.timers.after(this.options.stepMs, () => this.complete(next));
    });
  }

  private complete(queued: QueuedTask): void {
    const outcome = queued.run();
    if ('error' in outcome) {
      queued.task.response = { error: outcome.error, additionalInfo: outcome.additionalInfo };
      this.setStatus(queued, 'processing-error');
    } else {
      queued.task.response = { resourceId: outcome.resourceId };
      this.setStatus(queued, 'processing-completed');
    }
    this.isBusy = false;
    this.pump();
  }

  private setStatus(queued: QueuedTask, status: RedisCloudTaskStatus): void {
    queued.task.status = status;
    queued.task.description = descriptions[status];
    queued.task.timestamp = new Date().toISOString();
    queued.seq = ++this.seq;
  }
}
