import { describe, expect, it } from 'vitest';
import { renderBar, startProgress } from '../../src/commands/progress.js';

/** The progress display of `scim-bridge sync`: a bar redrawn in place on a terminal, tenths as lines elsewhere. */

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, write: (text: string) => chunks.push(text) };
}

describe('progress', () => {
  it.each([
    [0, 10, '[------------------------------]  0/10   0%  x'],
    [5, 10, '[###############---------------]  5/10  50%  x'],
    [10, 10, '[##############################] 10/10 100%  x'],
    [0, 0, '[##############################] 0/0 100%  x'],
  ])('renders %i of %i', (done, total, expected) => {
    expect(renderBar('x', done, total)).toBe(expected);
  });

  it('redraws the bar in place on a terminal and ends the line when finished', () => {
    const out = stream(true);
    const progress = startProgress(out, 'redis-cloud: converging', 4);
    progress.update(1);
    progress.update(1);
    progress.update(4);
    progress.finish(4);
    expect(out.chunks.every((c) => c === '\n' || c.startsWith('\r'))).toBe(true);
    // An unchanged bar is not drawn twice.
    expect(out.chunks.filter((c) => c.includes(' 1/4 '))).toHaveLength(1);
    expect(out.chunks.at(-2)).toContain('[##############################] 4/4 100%  redis-cloud: converging');
    expect(out.chunks.at(-1)).toBe('\n');
  });

  it('writes a plain line per tenth, and the total, when not on a terminal', () => {
    const out = stream(false);
    const progress = startProgress(out, 'yardstik: converging', 100);
    for (let done = 4; done <= 100; done += 4) progress.update(done);
    progress.finish(100);
    expect(out.chunks.join('')).not.toContain('\r');
    expect(out.chunks).toHaveLength(11);
    expect(out.chunks[0]).toBe('yardstik: converging: 4/100\n');
    expect(out.chunks.at(-1)).toBe('yardstik: converging: 100/100\n');
  });
});
