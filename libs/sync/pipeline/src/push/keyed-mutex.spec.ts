import { forEachConcurrently, KeyedMutex } from './keyed-mutex';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('KeyedMutex', () => {
  it('runs work for one key one at a time, in order, and work for other keys alongside', async () => {
    const mutex = new KeyedMutex();
    const running = new Map<string, number>();
    let maxSameKey = 0;
    let maxOverall = 0;
    const order: string[] = [];
    const job = (key: string, label: string) =>
      mutex.run(key, async () => {
        running.set(key, (running.get(key) ?? 0) + 1);
        maxSameKey = Math.max(maxSameKey, running.get(key) ?? 0);
        maxOverall = Math.max(
          maxOverall,
          [...running.values()].reduce((a, b) => a + b, 0),
        );
        await tick();
        order.push(label);
        running.set(key, (running.get(key) ?? 1) - 1);
      });
    await Promise.all([job('cus_a|meter', 'a1'), job('cus_a|meter', 'a2'), job('cus_b|meter', 'b1'), job('cus_a|meter', 'a3')]);
    expect(maxSameKey).toBe(1);
    expect(maxOverall).toBe(2);
    expect(order.filter((label) => label.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(mutex.size).toBe(0);
  });

  it('releases the key when the work fails', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('k', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await expect(mutex.run('k', () => Promise.resolve('yes'))).resolves.toBe('yes');
    expect(mutex.size).toBe(0);
  });
});

describe('forEachConcurrently', () => {
  it('keeps at most the limit in flight and visits every item once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachConcurrently(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (item) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await tick();
        seen.push(item);
        inFlight -= 1;
      },
    );
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
