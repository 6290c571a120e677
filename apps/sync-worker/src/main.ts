import 'reflect-metadata';
import { runHttpService } from '@flexsync/runtime';
import { installTemporalRuntime } from '@flexsync/temporal';
import { SyncWorkerConfig } from './app/sync-worker.config';
import { createSyncWorkerHttp, SERVICE } from './app/sync-worker.http';

// The Temporal SDK must log as JSON (and export its metrics) from its first connection on.
runHttpService(SERVICE, SyncWorkerConfig, createSyncWorkerHttp, (config) =>
  installTemporalRuntime(SERVICE, { metricsBindAddress: config.TEMPORAL_METRICS_BIND_ADDRESS }),
);
