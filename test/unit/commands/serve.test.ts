import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_FLAG, favourSmallHeap } from '../../../src/commands/serve.js';

describe('favourSmallHeap', () => {
  it('caps the heap growth of a serving bridge, unless node was given its own', () => {
    expect(favourSmallHeap([])).toBe(HEAP_GROWING_FLAG);
    expect(favourSmallHeap(['--enable-source-maps'])).toBe(HEAP_GROWING_FLAG);
    expect(favourSmallHeap(['--heap-growing-percent=100'])).toBeNull();
    expect(favourSmallHeap(['--heap_growing_percent=0'])).toBeNull();
  });
});
