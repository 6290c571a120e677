import 'reflect-metadata';
import { runHttpService } from '@flexsync/runtime';
import { routeTemporalLogsToJson } from '@flexsync/temporal';
import { SyncWorkerConfig } from './app/sync-worker.config';
import { createSyncWorkerHttp, SERVICE } from './app/sync-worker.http';

// The Temporal SDK must log as JSON from its first connection on.
runHttpService(SERVICE, SyncWorkerConfig, createSyncWorkerHttp, () => routeTemporalLogsToJson(SERVICE));
