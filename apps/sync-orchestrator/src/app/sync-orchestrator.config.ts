import { IsInt, IsNotEmpty, IsString, Matches, Max, Min } from 'class-validator';
import { AuthEnvConfig } from '@flexsync/auth';
import { IntFromEnv, IsPostgresUrl } from '@flexsync/runtime';

/** Environment of sync-orchestrator, validated before Nest starts. */
export class SyncOrchestratorConfig extends AuthEnvConfig {
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(65535)
  override PORT = 8080;

  @IsPostgresUrl()
  DATABASE_URL!: string;

  @IsString()
  @Matches(/^[A-Za-z0-9.-]+:\d{1,5}$/, { message: '$property must be host:port' })
  TEMPORAL_ADDRESS!: string;

  @IsString()
  @IsNotEmpty()
  TEMPORAL_NAMESPACE = 'default';

  /** Minutes after the hour at which the hourly sync fires ("hourly + grace"). */
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(59)
  STRIPE_SYNC_GRACE_PERIOD_MINUTES = 5;
}
