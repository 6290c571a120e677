import 'reflect-metadata';
import { runHttpService } from '@flexsync/runtime';
import { SyncOrchestratorConfig } from './app/sync-orchestrator.config';
import { createSyncOrchestratorHttp, SERVICE } from './app/sync-orchestrator.http';

runHttpService(SERVICE, SyncOrchestratorConfig, createSyncOrchestratorHttp);
