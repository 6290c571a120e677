import { CustomerIntegrationMapping } from '../customer-mappings/customer-integration-mapping.entity';
import { MeterProviderMapping } from './meter-provider-mapping.entity';
import { StripeCircuitBreaker } from './stripe-circuit-breaker.entity';
import { StripeConfigAudit } from '../tenant-configs/stripe-config-audit.entity';
import { StripeSyncBatch } from './stripe-sync-batch.entity';
import { StripeTenantConfig } from '../tenant-configs/stripe-tenant-config.entity';
import { StripeWebhookEvent } from '../webhook-events/stripe-webhook-event.entity';
import { StripeSyncValueRemainder } from '../sync-remainders/stripe-sync-value-remainder.entity';
import { StripeSyncWindow } from '../sync-windows/stripe-sync-window.entity';

export * from './meter-provider-mapping.entity';
export * from './stripe-circuit-breaker.entity';
export * from './stripe-sync-batch.entity';
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
];
