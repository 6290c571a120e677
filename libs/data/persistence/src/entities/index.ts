import { CustomerIntegrationMapping } from '../customer-mappings/customer-integration-mapping.entity';
import { MeterProviderMapping } from '../meter-mappings/meter-provider-mapping.entity';
import { StripeCircuitBreaker } from '../circuit-breakers/stripe-circuit-breaker.entity';
import { StripeConfigAudit } from '../tenant-configs/stripe-config-audit.entity';
import { StripeManualSyncRun } from '../manual-sync-runs/stripe-manual-sync-run.entity';
import { StripeSyncBatch } from '../sync-batches/stripe-sync-batch.entity';
import { StripeTenantConfig } from '../tenant-configs/stripe-tenant-config.entity';
import { StripeWebhookEvent } from '../webhook-events/stripe-webhook-event.entity';
import { StripeSyncValueRemainder } from '../sync-remainders/stripe-sync-value-remainder.entity';
import { StripeSyncWindow } from '../sync-windows/stripe-sync-window.entity';
import { StripeMeterErrorReport } from '../meter-error-reports/stripe-meter-error-report.entity';
import { StripeRateBudget } from '../rate-budgets/stripe-rate-budget.entity';
import { StripeUsageWatermark } from '../usage-watermarks/stripe-usage-watermark.entity';

export * from './tenant-scoped';

export const ENTITIES = [
  StripeTenantConfig,
  StripeConfigAudit,
  MeterProviderMapping,
  CustomerIntegrationMapping,
  StripeSyncBatch,
  StripeWebhookEvent,
  StripeCircuitBreaker,
  StripeSyncWindow,
  StripeSyncValueRemainder,
  StripeManualSyncRun,
  StripeMeterErrorReport,
  StripeRateBudget,
  StripeUsageWatermark,
];
