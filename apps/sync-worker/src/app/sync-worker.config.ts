import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { IntFromEnv, IsHttpUrl, IsPostgresUrl, ServiceBaseConfig } from '@flexsync/runtime';

/** Environment of sync-worker, validated before Nest starts. */
export class SyncWorkerConfig extends ServiceBaseConfig {
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(65535)
  override PORT = 8085;

  @IsPostgresUrl()
  DATABASE_URL!: string;

  @IsHttpUrl()
  CLICKHOUSE_URL!: string;

  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: '$property must be a plain database name' })
  CLICKHOUSE_DATABASE = 'flexprice';

  @IsString()
  @Matches(/^[A-Za-z0-9.-]+:\d{1,5}$/, { message: '$property must be host:port' })
  TEMPORAL_ADDRESS!: string;

  @IsString()
  @IsNotEmpty()
  TEMPORAL_NAMESPACE = 'default';

  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(500)
  WORKER_MAX_CONCURRENT_ACTIVITIES = 20;

  /** Prebuilt workflow bundle (`npm run build`); without it the worker bundles from source at start. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  WORKFLOW_BUNDLE_PATH?: string;
}
