import type { DataSource, QueryRunner } from 'typeorm';

/** How often keys are handed back and keys held by another replica tried again. */
const TICK_MS = 25;

const LOCK_ID = `hashtextextended('stripe-customer-meter|' || k, 0)`;

/**
 * Stripe's one concurrent meter event call per customer and meter, across worker replicas: a page takes a
 * Postgres advisory lock per customer+meter it is about to push (all in one round trip, on a connection of its own,
 * session-scoped so a crashed replica's locks go with its connection) and hands each back as soon as that
 * customer+meter's pushes are done (batched every {@link TICK_MS}). A key another replica holds is tried again on the
 * same tick; the page's other keys go on meanwhile. A page never waits while holding a key it is done with, so two
 * replicas waiting on each other's keys always get them.
 */
export class CustomerMeterLocks {
  constructor(private readonly db: DataSource) {}

  async lease(keys: readonly string[]): Promise<CustomerMeterLease> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    const lease = new CustomerMeterLease(runner);
    try {
      await lease.tryTake(keys);
    } catch (error) {
      await lease.release();
      throw error;
    }
    return lease;
  }
}

export class CustomerMeterLease {
  private readonly held = new Set<string>();
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly finished = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private released = false;

  constructor(private readonly runner: QueryRunner) {}

  has(key: string): boolean {
    return this.held.has(key);
  }

  /** Resolves once this page holds `key`. */
  async waitFor(key: string): Promise<void> {
    if (this.held.has(key)) return;
    await new Promise<void>((resolve) => {
      const waiters = this.waiting.get(key);
      if (waiters) waiters.push(resolve);
      else this.waiting.set(key, [resolve]);
      this.schedule();
    });
  }

  /** This page is done with `key`: it goes back to the other replicas on the next tick. */
  done(key: string): void {
    if (!this.held.has(key)) return;
    this.held.delete(key);
    this.finished.add(key);
    this.schedule();
  }

  async tryTake(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const rows: { key: string; taken: boolean }[] = await this.runner.query(
      `SELECT k AS key, pg_try_advisory_lock(${LOCK_ID}) AS taken FROM unnest($1::text[]) AS k`,
      [keys],
    );
    for (const row of rows) if (row.taken) this.held.add(row.key);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    try {
      await this.runner.query(`SELECT pg_advisory_unlock_all()`);
    } finally {
      this.held.clear();
      await this.runner.release();
    }
  }

  private schedule(): void {
    if (this.timer || this.ticking || this.released) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        if (this.waiting.size > 0 || this.finished.size > 0) this.schedule();
      });
    }, TICK_MS);
  }

  private async tick(): Promise<void> {
    if (this.released) return;
    try {
      if (this.finished.size > 0) {
        const keys = [...this.finished];
        this.finished.clear();
        await this.runner.query(`SELECT pg_advisory_unlock(${LOCK_ID}) FROM unnest($1::text[]) AS k`, [keys]);
      }
      if (this.waiting.size > 0) await this.tryTake([...this.waiting.keys()]);
    } catch {
      // The connection failed: the next tick tries again, and the page's own calls meet the outage and end it.
    }
    for (const [key, waiters] of this.waiting) {
      if (!this.held.has(key)) continue;
      this.waiting.delete(key);
      for (const resolve of waiters) resolve();
    }
  }
}
