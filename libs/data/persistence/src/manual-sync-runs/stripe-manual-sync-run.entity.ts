import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ManualSyncRunKind = 'manual' | 'retry';

/**
 * A workflow an operator or tenant admin started by hand (manual sync or batch retry), with the caller's `sub`: the
 * audit record of who asked for a push and the admission ledger that caps concurrently running manual syncs per
 * tenant and environment (`finished_at` null: possibly still running).
 */
@Entity({ name: 'stripe_manual_sync_runs' })
export class StripeManualSyncRun {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 128 })
  tenantId!: string;

  @Column({ name: 'environment_id', type: 'varchar', length: 128 })
  environmentId!: string;

  @Column({ name: 'kind', type: 'varchar', length: 16 })
  kind!: ManualSyncRunKind;

  @Column({ name: 'workflow_id', type: 'varchar', length: 512 })
  workflowId!: string;

  @Column({ name: 'run_id', type: 'varchar', length: 64 })
  runId!: string;

  @Column({ name: 'requested_by', type: 'varchar', length: 255 })
  requestedBy!: string;

  @Column({ name: 'requested_as', type: 'varchar', length: 32 })
  requestedAs!: 'tenant_admin' | 'operator';

  /** The ledger row a retry re-runs the window of. */
  @Column({ name: 'batch_id', type: 'uuid', nullable: true })
  batchId!: string | null;

  @Column({ name: 'time_from', type: 'timestamptz' })
  timeFrom!: Date;

  @Column({ name: 'time_to', type: 'timestamptz' })
  timeTo!: Date;

  @Column({ name: 'window_minutes', type: 'integer' })
  windowMinutes!: number;

  @Column({ name: 'customer_id', type: 'varchar', length: 128, nullable: true })
  customerId!: string | null;

  @Column({ name: 'force_rerun', type: 'boolean' })
  forceRerun!: boolean;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
