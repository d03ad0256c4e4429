import { feedingPool } from '../../../lambdas/domain/pool';

describe('feedingPool', () => {
  it('runs items added while it runs, never more than its concurrency at once, and settles when drained and done', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const pool = feedingPool<number>(2, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      done.push(item);
    });
    pool.add([1, 2, 3]);
    await new Promise((resolve) => setTimeout(resolve, 1));
    pool.add([4]);
    await pool.drain();
    expect(done.sort()).toEqual([1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(() => pool.add([5])).toThrow('draining');
  });

  it('finishes every item, then rejects with the first failure', async () => {
    const done: number[] = [];
    const pool = feedingPool<number>(3, async (item) => {
      if (item === 2) throw new Error('item 2 failed');
      await new Promise((resolve) => setTimeout(resolve, 5));
      done.push(item);
    });
    pool.add([1, 2, 3, 4]);
    await expect(pool.drain()).rejects.toThrow('item 2 failed');
    expect(done.sort()).toEqual([1, 3, 4]);
  });

  it('settles at once when drained with nothing added', async () => {
    await expect(feedingPool(4, async () => undefined).drain()).resolves.toBeUndefined();
  });
});
