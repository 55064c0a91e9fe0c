import { BridgeError, type ErrorCode } from '../../errors.js';
import { sleep } from '../http-client.js';
import type { RedisCloudClient } from './client.js';
import type { RedisCloudTask, RedisCloudTaskStatus } from './schemas.js';

/** The write a task was started for; the same task error means different things for each. */
export type RedisCloudWrite = 'create' | 'update' | 'delete';

/** Default bound on waiting for one task. */
export const defaultTaskTimeoutMs = 60_000;
const firstPollMs = 100;
const maxPollMs = 2_000;

const finalStatuses: ReadonlySet<RedisCloudTaskStatus> = new Set(['processing-completed', 'processing-error']);

/** Whether a task has reached a final state. */
export function isFinalTask(task: RedisCloudTask): boolean {
  return finalStatuses.has(task.status);
}

/**
 * Polls a task with growing pauses until it is final or `timeoutMs` has passed. Returns the
 * final task (completed or errored); a task still queued or running at the deadline is a
 * transient TARGET_TASK_PENDING, since Redis Cloud runs one task per account at a time
 * (process-lifecycle.md). Its `pendingHandle` is the task id: the next attempt waits for that
 * task (`awaitPending`) instead of submitting the write a second time.
 */
export async function waitForTask(
  client: RedisCloudClient,
  started: RedisCloudTask,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<RedisCloudTask> {
  const deadline = Date.now() + options.timeoutMs;
  let task = started;
  for (let poll = 0; !isFinalTask(task); poll++) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new BridgeError('TARGET_TASK_PENDING', `Redis Cloud task ${task.taskId} is still ${task.status} after ${options.timeoutMs} ms`, {
        details: { taskId: task.taskId, taskStatus: task.status, commandType: task.commandType, pendingHandle: task.taskId },
      });
    }
    await sleep(Math.min(firstPollMs * 1.5 ** poll, maxPollMs, remaining), options.signal);
    task = await client.getTask(started.taskId, options.signal);
  }
  return task;
}

type Failure = { code: ErrorCode; reason?: string; message: string };

// Task error codes from the RC-OAS `ProcessorResponse.error` enum (Redis Cloud's task docs).
const protectedSelf: Failure = { code: 'PROTECTED_ACCOUNT', reason: 'api-key-user', message: 'Redis Cloud does not let an API key change the role of, or delete, its own user' };
const noOwnerRights: Failure = { code: 'TARGET_AUTH', reason: 'not-owner', message: "the API key's user is not an Owner: only an Owner's key can change users" };
const failures: Record<string, Failure> = {
  USER_CANNOT_DELETE_OWN_USER: protectedSelf,
  USER_CANNOT_UPDATE_IT_IS_OWN_ROLE: protectedSelf,
  USER_CANNOT_BE_UPDATED_OR_DELETED_BEFORE_VERIFICATION: {
    code: 'TARGET_REJECTED',
    reason: 'invitation-pending',
    message: 'Redis Cloud cannot change or delete an invited user before they verify their email',
  },
  USER_WITHOUT_OWNER_PERMISSION_CANNOT_UPDATE_USERS: noOwnerRights,
  USER_WITHOUT_OWNER_PERMISSION_CANNOT_PERFORM_ACTIONS_ON_USERS: noOwnerRights,
  USER_INSUFFICIENT_ROLE: noOwnerRights,
  UNAUTHORIZED: noOwnerRights,
};

/**
 * What a `processing-error` task means for the write that started it; null when the failure is
 * in fact the wanted outcome (deleting a user that is already gone).
 */
export function taskFailureToError(task: RedisCloudTask, write: RedisCloudWrite): BridgeError | null {
  const targetError = task.response?.error ?? 'UNKNOWN_STATUS';
  const failure = failureFor(targetError, write);
  if (failure === null) return null;
  const info = task.response?.additionalInfo;
  return new BridgeError(failure.code, `${failure.message} (${targetError})`, {
    details: {
      taskId: task.taskId,
      targetError,
      ...(failure.reason !== undefined ? { reason: failure.reason } : {}),
      ...(info !== undefined ? { targetMessage: info.slice(0, 200) } : {}),
    },
  });
}

function failureFor(targetError: string, write: RedisCloudWrite): Failure | null {
  if (targetError === 'USER_NOT_FOUND' || targetError === 'ENTITY_NOT_FOUND') {
    if (write === 'delete') return null;
    return { code: 'TARGET_NOT_FOUND', message: 'the Redis Cloud user no longer exists' };
  }
  if (targetError === 'CONFLICT_ERROR') {
    // On create it can only be the email (the agent page: "user with this email already exists"); on
    // update or delete the simulator uses it for "an account keeps at least one Owner" (access-management.md).
    return write === 'create'
      ? { code: 'TARGET_CONFLICT', message: 'a Redis Cloud user with this email already exists' }
      : { code: 'PROTECTED_ACCOUNT', reason: 'last-owner', message: 'Redis Cloud keeps at least one Owner in every account' };
  }
  return failures[targetError] ?? { code: 'TARGET_TASK_FAILED', message: `Redis Cloud task for ${write} failed` };
}
