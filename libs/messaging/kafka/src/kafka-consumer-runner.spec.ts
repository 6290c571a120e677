import { KafkaConsumerRunner } from './kafka-consumer-runner';
import type { KafkaMessageConsumer } from './kafka-consumer';

/** A consumer whose `start` fails the first `failures` times (Kafka not answering). */
function consumers(failures: number) {
  const made: { started: boolean; stopped: boolean }[] = [];
  const create = (): KafkaMessageConsumer => {
    const state = { started: false, stopped: false };
    const attempt = made.length;
    made.push(state);
    return {
      start: async () => {
        if (attempt < failures) throw new Error('ECONNREFUSED');
        state.started = true;
      },
      stop: async () => {
        state.stopped = true;
      },
    } as unknown as KafkaMessageConsumer;
  };
  return { made, create };
}

describe('KafkaConsumerRunner', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('does not wait for Kafka: keeps trying with a fresh consumer every retry interval until one joins', async () => {
    const { made, create } = consumers(2);
    const runner = new KafkaConsumerRunner('test consumer', create, 1000);
    await runner.start();
    expect(made).toEqual([{ started: false, stopped: true }]);
    await jest.advanceTimersByTimeAsync(1000);
    await jest.advanceTimersByTimeAsync(1000);
    expect(made).toEqual([
      { started: false, stopped: true },
      { started: false, stopped: true },
      { started: true, stopped: false },
    ]);
    await runner.stop();
    expect(made[2].stopped).toBe(true);
  });

  it('stops retrying once stopped', async () => {
    const { made, create } = consumers(Number.POSITIVE_INFINITY);
    const runner = new KafkaConsumerRunner('test consumer', create, 1000);
    await runner.start();
    await runner.stop();
    await jest.advanceTimersByTimeAsync(5000);
    expect(made).toHaveLength(1);
  });
});
