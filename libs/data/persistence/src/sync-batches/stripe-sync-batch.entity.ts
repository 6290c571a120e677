import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { TenantScopedEntity } from '../entities/tenant-scoped';

/**
 * `unknown`: the call may have reached Stripe and only reconciliation against Stripe's totals may settle it.
 * `validating`: accepted by the v2 meter event stream, whose validation is asynchronous: it becomes `completed` when
 * its validation period ends, or `failed` if a Stripe error report names it first.
 */
export type SyncStatus = 'pending' | 'completed' | 'failed' | 'unknown' | 'validating';

/**
 * The write-ahead ledger of pushes, one row per (customer, meter, event_type, window, revision): written `pending`
 * (identifier + payload hash) before the Stripe call, `completed`/`failed` after it.
 *
 * A row is *valued* once `sent_value` is set, together with the meter event it stands for (event name, Stripe
 * customer, precision, timestamp) and the hash over all of it, in the same commit that records the first attempt
 * and before the call. From then on its payload is frozen, so every resend carries the same identity and body.
 */
@Entity({ name: 'stripe_sync_batches' })
export class StripeSyncBatch extends TenantScopedEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ name: 'provider_customer_id', type: 'text', nullable: true })
  providerCustomerId!: string | null;

  @Column({ name: 'meter_id', type: 'text' })
  meterId!: string;

  @Column({ name: 'event_name', type: 'text', nullable: true })
  eventName!: string | null;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  @Column({ name: 'window_start', type: 'timestamptz' })
  windowStart!: Date;

  @Column({ name: 'window_end', type: 'timestamptz' })
  windowEnd!: Date;

  @Column({ name: 'revision', type: 'integer', default: 0 })
  revision!: number;

  @Column({ name: 'identifier', type: 'varchar', length: 100 })
  identifier!: string;

  @Column({ name: 'payload_hash', type: 'text' })
  payloadHash!: string;

  /**
   * Usage FlexPrice measured for the whole window as of this revision (exact decimal, as text): cumulative, so a
   * correction's own share is its quantity minus the previous revision's.
   */
  @Column({ name: 'aggregated_quantity', type: 'numeric', precision: 38, scale: 12 })
  aggregatedQuantity!: string;

  /** Whole-number value sent to Stripe in this push (the delta for revisions > 0); null until the row is valued. */
  @Column({ name: 'sent_value', type: 'bigint', nullable: true })
  sentValue!: string | null;

  /** Decimal places of the meter mapping the value was computed with (value = quantity × 10^precision). */
  @Column({ name: 'value_precision', type: 'integer', nullable: true })
  valuePrecision!: number | null;

  /** The meter event `timestamp` sent to Stripe: inside the window, frozen with the value. */
  @Column({ name: 'meter_event_timestamp', type: 'timestamptz', nullable: true })
  meterEventTimestamp!: Date | null;

  /** Events in the window as of this revision (cumulative, like `aggregated_quantity`). */
  @Column({ name: 'event_count', type: 'bigint', default: 0 })
  eventCount!: string;

  /** The identifier Stripe acknowledged the meter event under (v1 meter events have no other id). */
  @Column({ name: 'stripe_event_id', type: 'text', nullable: true })
  stripeEventId!: string | null;

  @Column({ name: 'sync_status', type: 'text' })
  syncStatus!: SyncStatus;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  /** Pushes started for this row (each may include several HTTP retries); 0 means Stripe never saw it. */
  @Column({ name: 'attempt_count', type: 'integer', default: 0 })
  attemptCount!: number;

  /** When the system itself next retries this failed row; null when it will not on its own. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  /** The first call's time: Stripe's 24 h identifier dedupe is measured from it. */
  @Column({ name: 'first_sent_at', type: 'timestamptz', nullable: true })
  firstSentAt!: Date | null;

  /** Some call may have reached Stripe without a readable answer (timeout, dropped connection, 5xx, crash). */
  @Column({ name: 'outcome_uncertain', type: 'boolean', default: false })
  outcomeUncertain!: boolean;

  /** Failures recorded so far: the backoff step of `next_attempt_at`. */
  @Column({ name: 'failure_count', type: 'integer', default: 0 })
  failureCount!: number;

  /** The identifier a push first went out under, when reconciliation re-armed it under a new one (at most once). */
  @Column({ name: 'superseded_identifier', type: 'varchar', length: 100, nullable: true })
  supersededIdentifier!: string | null;

  /** When reconciliation settled this row's unknown outcome against Stripe's totals. */
  @Column({ name: 'reconciled_at', type: 'timestamptz', nullable: true })
  reconciledAt!: Date | null;

  /** When the v2 meter event stream accepted this push (null: sent through `POST /v1/billing/meter_events`). */
  @Column({ name: 'stream_accepted_at', type: 'timestamptz', nullable: true })
  streamAcceptedAt!: Date | null;

  @Column({ name: 'workflow_id', type: 'text', nullable: true })
  workflowId!: string | null;

  @Column({ name: 'run_id', type: 'text', nullable: true })
  runId!: string | null;

  @Column({ name: 'latency_ms', type: 'integer', nullable: true })
  latencyMs!: number | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** The Stripe event id of the meter error report that marked this row `failed` (`stripe rejected: …`). */
  @Column({ name: 'stripe_error_report_id', type: 'text', nullable: true })
  stripeErrorReportId!: string | null;
}
