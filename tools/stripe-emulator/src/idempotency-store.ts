export interface SavedResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
  requestId: string;
}

interface IdempotencyRecord {
  fingerprint: string;
  createdMs: number;
  response?: SavedResponse;
}

export type IdempotencyOutcome =
  | { kind: 'new' }
  | { kind: 'in_flight' }
  | { kind: 'mismatch' }
  | { kind: 'replay'; response: SavedResponse };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Stripe's idempotency: per account and key, the first executed response is
 * replayed for 24 hours; the same key with other parameters is an error, and
 * so is reusing a key while its first request is still running.
 */
export class IdempotencyStore {
  private readonly records = new Map<string, IdempotencyRecord>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = DAY_MS,
  ) {}

  begin(accountId: string, key: string, fingerprint: string): IdempotencyOutcome {
    const recordKey = this.recordKey(accountId, key);
    const existing = this.records.get(recordKey);
    if (existing !== undefined && this.now() - existing.createdMs < this.ttlMs) {
      if (existing.fingerprint !== fingerprint) {
        return { kind: 'mismatch' };
      }
      return existing.response === undefined ? { kind: 'in_flight' } : { kind: 'replay', response: existing.response };
    }
    this.records.set(recordKey, { fingerprint, createdMs: this.now() });
    return { kind: 'new' };
  }

  complete(accountId: string, key: string, response: SavedResponse): void {
    const record = this.records.get(this.recordKey(accountId, key));
    if (record !== undefined) {
      record.response = response;
    }
  }

  /** Forgets a reservation whose request never executed, so a retry runs afresh. */
  abandon(accountId: string, key: string): void {
    const recordKey = this.recordKey(accountId, key);
    if (this.records.get(recordKey)?.response === undefined) {
      this.records.delete(recordKey);
    }
  }

  clear(): void {
    this.records.clear();
  }

  /** Drops expired records; cheap enough to run on every reset or periodically. */
  prune(): void {
    const now = this.now();
    for (const [key, record] of this.records) {
      if (now - record.createdMs >= this.ttlMs && record.response !== undefined) {
        this.records.delete(key);
      }
    }
  }

  private recordKey(accountId: string, key: string): string {
    return `${accountId}\u0000${key}`;
  }
}
