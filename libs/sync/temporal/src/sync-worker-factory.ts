import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, NativeConnection, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Duration } from '@temporalio/common';
import { STRIPE_SYNC_TASK_QUEUE, SyncWorkerActivities } from '@flexsync/sync-contracts';
import { temporalConnectionOptions, type TemporalSettings } from './temporal-connection';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const WORKFLOWS_ENTRY = join(REPO_ROOT, 'libs', 'sync', 'workflows', 'src', 'index.ts');

interface TsPaths {
  compilerOptions: { paths: Record<string, string[]> };
}

/** The workflow bundler (webpack) does not read tsconfig path aliases, so hand it the same map. */
function workspaceAliases(): Record<string, string> {
  const { compilerOptions } = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.base.json'), 'utf8')) as TsPaths;
  return Object.fromEntries(Object.entries(compilerOptions.paths).map(([alias, [target]]) => [alias, join(REPO_ROOT, target)]));
}

/** Bundles workflow code once (at start, or ahead of time for production images). */
export async function bundleSyncWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_ENTRY,
    webpackConfigHook: (config) => {
      config.resolve = { ...config.resolve, alias: { ...(config.resolve?.alias as Record<string, string>), ...workspaceAliases() } };
      return config;
    },
    logger: {
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      log: () => undefined,
    },
  });
}

export interface SyncWorkerOptions {
  address: string;
  namespace: string;
  /** TLS / mTLS and API key of the connection (`temporalSecurityFrom(config)`). */
  security?: Pick<TemporalSettings, 'tls' | 'apiKey'>;
  activities: SyncWorkerActivities;
  taskQueue?: string;
  workflowBundle?: WorkflowBundleWithSourceMap | { codePath: string };
  maxConcurrentActivityTaskExecutions?: number;
  /** How long a shutting-down worker lets running activities finish before cancelling them (default 20 s). */
  shutdownGraceTime?: Duration;
}

export interface SyncWorkerHandle {
  worker: Worker;
  connection: NativeConnection;
}

/** A worker on the `stripe-sync` task queue with the sync workflows and the given activity implementations. */
export async function createSyncWorker(options: SyncWorkerOptions): Promise<SyncWorkerHandle> {
  const connection = await NativeConnection.connect(temporalConnectionOptions({ address: options.address, ...options.security }));
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? STRIPE_SYNC_TASK_QUEUE,
    workflowBundle: options.workflowBundle ?? (await bundleSyncWorkflows()),
    activities: { ...options.activities },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
    // A page cut short is safe (its rows stay pending and are re-sent under the same identities), but a page that
    // finishes needs no re-send: give running pushes most of Kubernetes' 30 s termination grace.
    shutdownGraceTime: options.shutdownGraceTime ?? '20 seconds',
  });
  return { worker, connection };
}
