import { IsInt, Max, Min } from 'class-validator';
import { AuthEnvConfig } from '@flexsync/auth';
import { TemporalAddressField, TemporalNamespaceField } from '@flexsync/temporal';
import { IntFromEnv } from '@flexsync/runtime';

/** Environment of sync-orchestrator, validated before Nest starts. */
export class SyncOrchestratorConfig extends AuthEnvConfig {
  override PORT = 8080;

  @TemporalAddressField()
  TEMPORAL_ADDRESS!: string;

  @TemporalNamespaceField()
  TEMPORAL_NAMESPACE = 'default';

  /** Minutes after the hour at which the hourly sync fires ("hourly + grace"). */
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(59)
  STRIPE_SYNC_GRACE_PERIOD_MINUTES = 5;
}
