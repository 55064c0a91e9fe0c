import type { CliIo } from './context.js';

/**
 * Progress of a long command: a bar redrawn in place on a terminal, and on anything else (a
 * pipe, a CI log) a plain line at every tenth of the way, so logs stay short and readable.
 */

/** A progress display for one phase of work. */
export interface Progress {
  /** `done` items of `total` are finished. */
  update(done: number): void;
  /** The phase is over: the bar is completed and the line ended. */
  finish(done: number): void;
}

const BAR_WIDTH = 30;

/** Starts a progress display for `total` items labelled `label`. */
export function startProgress(stream: CliIo['stdout'], label: string, total: number): Progress {
  return stream.isTTY ? terminalBar(stream, label, total) : plainLines(stream, label, total);
}

/** `[##########--------------------]  12/36  33%  redis-cloud: converging`. */
export function renderBar(label: string, done: number, total: number, width = BAR_WIDTH): string {
  const share = total <= 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * width);
  const count = `${String(done).padStart(String(total).length)}/${total}`;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count} ${String(Math.floor(share * 100)).padStart(3)}%  ${label}`;
}

function terminalBar(stream: CliIo['stdout'], label: string, total: number): Progress {
  let last = '';
  const draw = (done: number): void => {
    const line = renderBar(label, done, Math.max(total, done));
    if (line === last) return;
    last = line;
    // \r and "erase to end of line" redraw the bar in place.
    stream.write(`\r${line}\u001b[K`);
  };
  draw(0);
  return {
    update: draw,
    finish: (done) => {
      draw(done);
      stream.write('\n');
    },
  };
}

function plainLines(stream: CliIo['stdout'], label: string, total: number): Progress {
  let reported = -1;
  const line = (done: number): void => void stream.write(`${label}: ${done}/${Math.max(total, done)}\n`);
  return {
    update: (done) => {
      const tenth = total <= 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth <= reported || done >= total) return;
      reported = tenth;
      line(done);
    },
    finish: line,
  };
}
