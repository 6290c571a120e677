import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { TenantScopedEntity } from '../entities/tenant-scoped';

export type ConnectionTestStatus = 'connected' | 'auth_error' | 'unreachable';

/** Usage sources a config may name (`usage_source`; the column's CHECK constraint holds the same list). */
export const USAGE_SOURCE_NAMES = ['playbook-events-processed', 'flexprice-meter-usage'] as const;
export type UsageSourceName = (typeof USAGE_SOURCE_NAMES)[number];

/** A tenant+environment's Stripe settings. Secrets are stored only as ciphertext with the id of the key that sealed them. */
@Entity({ name: 'stripe_tenant_configs' })
export class StripeTenantConfig extends TenantScopedEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'api_key_ciphertext', type: 'text' })
  apiKeyCiphertext!: string;

  @Column({ name: 'api_key_key_id', type: 'text' })
  apiKeyKeyId!: string;

  /** `sk_test_…wxyz`: what GET shows; never enough to use the key. */
  @Column({ name: 'api_key_masked', type: 'text' })
  apiKeyMasked!: string;

  @Column({ name: 'webhook_secret_ciphertext', type: 'text', nullable: true })
  webhookSecretCiphertext!: string | null;

  @Column({ name: 'webhook_secret_key_id', type: 'text', nullable: true })
  webhookSecretKeyId!: string | null;

  @Column({ name: 'sync_enabled', type: 'boolean', default: false })
  syncEnabled!: boolean;

  @Column({ name: 'aggregation_window_minutes', type: 'integer', default: 60 })
  aggregationWindowMinutes!: number;

  /** `playbook-events-processed` or `flexprice-meter-usage`; NULL reads the worker's default source. */
  @Column({ name: 'usage_source', type: 'text', nullable: true })
  usageSource!: UsageSourceName | null;

  /** Whether the key is live, as the last successful connection test saw it; webhooks in the other mode are refused. */
  @Column({ name: 'livemode', type: 'boolean', nullable: true })
  livemode!: boolean | null;

  /** `acct_…` the last successful connection test saw; webhooks naming another account are refused. */
  @Column({ name: 'stripe_account_id', type: 'text', nullable: true })
  stripeAccountId!: string | null;

  @Column({ name: 'last_tested_at', type: 'timestamptz', nullable: true })
  lastTestedAt!: Date | null;

  @Column({ name: 'last_test_status', type: 'text', nullable: true })
  lastTestStatus!: ConnectionTestStatus | null;

  @Column({ name: 'last_test_message', type: 'text', nullable: true })
  lastTestMessage!: string | null;
}
