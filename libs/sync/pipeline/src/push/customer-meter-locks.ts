import type { DataSource, QueryRunner } from 'typeorm';

/** How often keys held by another replica are tried again. */
const RETRY_MS = 50;

/**
 * Stripe's one concurrent meter event call per customer and meter, across worker replicas: a page takes a
 * Postgres advisory lock per customer+meter it is about to push (all in one round trip, on a connection of its own,
 * session-scoped so a crashed replica's locks go with its connection) and releases them all when the page is done.
 * A key another replica holds is tried again every {@link RETRY_MS} until that replica's page lets it go; the other
 * keys go on meanwhile.
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
  private polling: NodeJS.Timeout | undefined;
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
      this.polling ??= setTimeout(() => void this.poll(), RETRY_MS);
    });
  }

  async tryTake(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const rows: { key: string; taken: boolean }[] = await this.runner.query(
      `SELECT k AS key, pg_try_advisory_lock(hashtextextended('stripe-customer-meter|' || k, 0)) AS taken FROM unnest($1::text[]) AS k`,
      [keys],
    );
    for (const row of rows) if (row.taken) this.held.add(row.key);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.polling) clearTimeout(this.polling);
    try {
      if (this.held.size > 0) await this.runner.query(`SELECT pg_advisory_unlock_all()`);
    } finally {
      this.held.clear();
      await this.runner.release();
    }
  }

  private async poll(): Promise<void> {
    this.polling = undefined;
    if (this.released) return;
    try {
      await this.tryTake([...this.waiting.keys()]);
    } catch {
      // The connection failed: the next poll tries again; the page's own error handling ends it if it stays down.
    }
    for (const [key, waiters] of this.waiting) {
      if (!this.held.has(key)) continue;
      this.waiting.delete(key);
      for (const resolve of waiters) resolve();
    }
    if (this.waiting.size > 0 && !this.released) this.polling = setTimeout(() => void this.poll(), RETRY_MS);
  }
}
