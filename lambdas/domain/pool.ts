/** Runs `work` over the items with at most `concurrency` of them in flight at once. */
export async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * A pool fed while it runs: `add` items as they become known, at most `concurrency` in flight at
 * once, then `drain` once no more will come, which settles when every item is done (rejecting
 * with the first failure, after the others finished).
 */
export function feedingPool<T>(concurrency: number, work: (item: T) => Promise<void>): { add(items: readonly T[]): void; drain(): Promise<void> } {
  const waiting: T[] = [];
  let running = 0;
  let draining = false;
  let failure: { error: unknown } | undefined;
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const pump = () => {
    while (running < concurrency && waiting.length > 0) {
      running += 1;
      work(waiting.shift()!)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          running -= 1;
          pump();
        });
    }
    if (draining && running === 0 && waiting.length === 0) settle();
  };
  return {
    add(items) {
      if (draining) throw new Error('the pool is draining: nothing more can be added');
      waiting.push(...items);
      pump();
    },
    async drain() {
      draining = true;
      pump();
      await settled;
      if (failure) throw failure.error;
    },
  };
}
