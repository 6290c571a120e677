import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import type { SyncStatus } from '@flexsync/persistence';

export class WorkflowIdParam {
  @Matches(/^stripe-sync-(manual|retry)-[A-Za-z0-9_.:@-]{1,400}$/, {
    message: 'workflow_id must be the workflow_id a manual sync or retry answered with',
  })
  workflow_id!: string;
}

export class ManualSyncRunView {
  @ApiProperty() workflow_id!: string;
  @ApiProperty() run_id!: string;
  @ApiProperty({ enum: ['manual', 'retry'] }) kind!: 'manual' | 'retry';
  @ApiProperty({
    example: 'RUNNING',
    description: 'Temporal execution status (RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT…)',
  })
  status!: string;
  @ApiProperty() time_from!: string;
  @ApiProperty() time_to!: string;
  @ApiProperty() windows_total!: number;
  @ApiProperty({ description: 'windows aggregated so far: up to the latest window this run wrote to the ledger; all once completed' })
  windows_reached!: number;
  @ApiProperty({ example: { pending: 3, completed: 120, failed: 0, unknown: 0, validating: 0 }, description: 'ledger rows this workflow armed, by state' })
  batches!: Record<SyncStatus, number>;
  @ApiProperty({ description: 'the caller’s token sub that started it' }) requested_by!: string;
  @ApiProperty() started_at!: string;
  @ApiProperty({ nullable: true }) closed_at!: string | null;
}

export class CancelRequestedView {
  @ApiProperty() workflow_id!: string;
  @ApiProperty() run_id!: string;
  @ApiProperty({ example: 'cancel_requested' }) status!: 'cancel_requested';
}
