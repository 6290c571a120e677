import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { SyncPipelineLedger1764600000000 } from './1764600000000-sync-pipeline-ledger';
import { WebhookEventIdIndex1764700000000 } from './1764700000000-webhook-event-id-index';
import { SyncLedgerRetryAndUnknown1765000000000 } from './1765000000000-sync-ledger-retry-and-unknown';
import { SyncLedgerSendHistory1765100000000 } from './1765100000000-sync-ledger-send-history';
import { SyncWindowCoverage1765200000000 } from './1765200000000-sync-window-coverage';
import { ManualSyncRuns1765300000000 } from './1765300000000-manual-sync-runs';
import { TenantBoundSecretsAndWebhooks1765600000000 } from './1765600000000-tenant-bound-secrets-and-webhooks';
import { ReconciliationReidentify1765700000000 } from './1765700000000-reconciliation-reidentify';
import { ReconciliationReports1766100000000 } from './1766100000000-reconciliation-reports';
import { MeterErrorReports1766200000000 } from './1766200000000-meter-error-reports';
import { SharedRateBudgetAndMeterEventStream1766400000000 } from './1766400000000-shared-rate-budget-and-meter-event-stream';
import { UsageSourceAndWatermarks1766600000000 } from './1766600000000-usage-source-and-watermarks';
import { LedgerReadIndexes1766800000000 } from './1766800000000-ledger-read-indexes';

/** Ordered list of schema migrations; new ones are appended here. */
export const MIGRATIONS = [
  InitialSchema1764000000000,
  SyncPipelineLedger1764600000000,
  WebhookEventIdIndex1764700000000,
  SyncLedgerRetryAndUnknown1765000000000,
  SyncLedgerSendHistory1765100000000,
  SyncWindowCoverage1765200000000,
  ManualSyncRuns1765300000000,
  TenantBoundSecretsAndWebhooks1765600000000,
  ReconciliationReidentify1765700000000,
  ReconciliationReports1766100000000,
  MeterErrorReports1766200000000,
  SharedRateBudgetAndMeterEventStream1766400000000,
  UsageSourceAndWatermarks1766600000000,
  LedgerReadIndexes1766800000000,
];
