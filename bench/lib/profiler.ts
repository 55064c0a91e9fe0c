import { Session } from 'node:inspector/promises';
import type { Handler } from './ipc.js';

/**
 * The IPC questions `profileStart` and `profileStop` of a server child: a V8 CPU profile of the
 * child between the two (a sample every 200 µs), read by bench/lib/profile.ts. The bridge and the
 * bare baseline both answer them, so one run can put their stages side by side.
 */
export function profilerHandlers(): Record<string, Handler> {
  let session: Session | null = null;
  return {
    profileStart: async () => {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
      return null;
    },
    profileStop: async () => {
      const running = session as Session;
      const { profile } = await running.post('Profiler.stop');
      running.disconnect();
      session = null;
      return profile;
    },
  };
}
