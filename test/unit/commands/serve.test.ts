import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_FLAG, favourSmallHeap } from '../../../src/commands/serve.js';

describe('favourSmallHeap', () => {
  it('caps the heap growth of a serving bridge, unless node was given its own', () => {
    expect(favourSmallHeap([])).toBe(HEAP_GROWING_FLAG);
    expect(favourSmallHeap(['--enable-source-maps'])).toBe(HEAP_GROWING_FLAG);
    expect(favourSmallHeap(['--heap-growing-percent=100'])).toBeNull();
    expect(favourSmallHeap(['--heap_growing_percent=0'])).toBeNull();
    // The process goes on working: V8 took the flag without complaint.
    expect(getHeapStatistics().used_heap_size).toBeGreaterThan(0);
  });
});
