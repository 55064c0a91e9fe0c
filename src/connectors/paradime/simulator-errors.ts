import { GraphQLError } from 'graphql';
import { z } from 'zod';

/**
 * GraphQL errors the Paradime simulator answers on request (`POST /_sim/graphql-errors`): the
 * next `count` calls of an operation get HTTP 200 with the operation's field `null` and one
 * error in `errors`, the shape GraphQL servers use for a refused operation. Paradime documents
 * neither its messages nor any `extensions.code` (docs/simulators/paradime.md), so tests give
 * both: a message alone is what a real server without codes would send.
 */

/** The operations an error can be injected into. */
export const paradimeOperations = ['listUsers', 'listWorkspaces', 'inviteUser', 'updateUserAccountType', 'disableUser'] as const;

/** The `/_sim/graphql-errors` body. */
export const paradimeInjectedErrorSchema = z.object({
  operation: z.enum(paradimeOperations),
  message: z.string().min(1),
  /** Sent as `extensions.code` when given. */
  code: z.string().min(1).optional(),
  /** How many calls of the operation get the error (default 1). */
  count: z.number().int().min(1).default(1),
});

type InjectedError = z.infer<typeof paradimeInjectedErrorSchema>;

/** The queue of injected errors of one simulator. */
export function createInjectedErrors() {
  let queue: InjectedError[] = [];
  return {
    /** Adds an error (parsed from a `/_sim/graphql-errors` body). */
    add(body: unknown): InjectedError {
      const parsed = paradimeInjectedErrorSchema.parse(body);
      queue.push({ ...parsed });
      return parsed;
    },
    clear(): void {
      queue = [];
    },
    /** Throws the next error queued for `operation`, if any (graphql-js turns it into an `errors` entry). */
    raise(operation: string): void {
      const next = queue.find((e) => e.operation === operation);
      if (!next) return;
      next.count -= 1;
      if (next.count <= 0) queue = queue.filter((e) => e !== next);
      throw new GraphQLError(next.message, next.code === undefined ? {} : { extensions: { code: next.code } });
    },
  };
}

/** The injected errors of one simulator, as built by {@link createInjectedErrors}. */
export type InjectedErrors = ReturnType<typeof createInjectedErrors>;
