import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The built CLI, started as a real child process (the way an operator or a container runs it). */

const cli = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../dist/cli.js');

/** A running `scim-bridge serve`. */
export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  /** Every JSON log line so far (the bridge logs JSON when stdout is not a terminal). */
  lines: Record<string, unknown>[];
  /** Everything written, as text. */
  output(): string;
  /** Resolves with the first log line whose message is `message`. */
  waitForLine(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** Starts `node dist/cli.js serve --config <file>` in `cwd`. */
export function startCli(configFile: string, cwd: string): CliProcess {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
  const env = { ...process.env };
  delete env.SCIM_BRIDGE_CONFIG;
  const child = spawn(process.execPath, [cli, 'serve', '--config', configFile], { cwd, env, stdio: 'pipe' });
  const lines: Record<string, unknown>[] = [];
  let text = '';
  let pending = '';
  const listeners = new Set<() => void>();
  const take = (chunk: Buffer): void => {
    text += chunk.toString();
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as Record<string, unknown>);
      } catch {
        // Not a log line (sandbox banner, stack trace): kept in the text only.
      }
    }
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const waitForLine = (message: string, timeoutMs = 15_000): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const line = lines.find((l) => l.message === message);
        if (!line) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(line);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no "${message}" log line within ${timeoutMs} ms; output:\n${text}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return { child, lines, output: () => text, waitForLine, exited };
}
