import { Logger } from '@nestjs/common';
import { BatchJobLoop, type BatchRunOutcome } from './batch-job-loop';

/** A job whose runs the test finishes by hand, with an interval long enough never to fire during a test. */
class ScriptedJob extends BatchJobLoop {
  runs = 0;
  private finishers: ((outcome: BatchRunOutcome) => void)[] = [];

  constructor() {
    super(new Logger('ScriptedJob'), 'scripted run failed');
  }

  protected intervalMs(): number {
    return 60_000;
  }

  protected runOnce(): Promise<BatchRunOutcome> {
    this.runs += 1;
    return new Promise((resolve) => this.finishers.push(resolve));
  }

  get inFlight(): number {
    return this.finishers.length;
  }

  async finish(outcome: BatchRunOutcome): Promise<void> {
    const finisher = this.finishers.shift();
    if (!finisher) throw new Error('no run in flight');
    finisher(outcome);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('BatchJobLoop wake-ups', () => {
  let job: ScriptedJob;

  beforeEach(() => {
    job = new ScriptedJob();
    job.onApplicationBootstrap();
  });

  afterEach(async () => {
    const stopping = job.onModuleDestroy();
    while (job.inFlight > 0) await job.finish('done');
    await stopping;
  });

  it('runs at once when woken, not at the next interval', () => {
    job.wake();
    expect(job.runs).toBe(1);
  });

  it('takes wake-ups that arrive during a run as one more run right after it', async () => {
    job.wake();
    job.wake();
    job.wake();
    expect(job.runs).toBe(1);
    await job.finish('done');
    expect(job.runs).toBe(2);
    await job.finish('done');
    expect(job.runs).toBe(2);
  });

  it('runs again at once while a run reports more work waiting', async () => {
    job.wake();
    await job.finish('more');
    expect(job.runs).toBe(2);
  });

  it('ignores wake-ups after a failed run until the interval has passed', async () => {
    job.wake();
    await job.finish('failed');
    job.wake();
    expect(job.runs).toBe(1);
  });

  it('does nothing when woken before it was started or after it stopped', async () => {
    const idle = new ScriptedJob();
    idle.wake();
    expect(idle.runs).toBe(0);
    idle.onApplicationBootstrap();
    await idle.onModuleDestroy();
    idle.wake();
    expect(idle.runs).toBe(0);
  });
});
