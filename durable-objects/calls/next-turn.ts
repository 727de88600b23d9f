/**
 * Resolves on a later turn of the event loop (a macrotask), not as a microtask: work chained on
 * promises runs back to back without letting a queued request in, so long CPU work (a sync
 * stream's chunks) awaits this between its slices and live calls interleave instead of waiting
 * for every queued chunk.
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
