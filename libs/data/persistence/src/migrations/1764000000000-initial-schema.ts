import { MigrationInterface, QueryRunner } from 'typeorm';

/** Every table the playbook and design name, with the uniqueness rules that keep mappings 1-to-1 and pushes idempotent. */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);

    await db.query(`
      CREATE TABLE stripe_tenant_configs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        api_key_ciphertext text NOT NULL,
        api_key_key_id text NOT NULL,
        api_key_masked text NOT NULL,
        webhook_secret_ciphertext text,
        webhook_secret_key_id text,
        sync_enabled boolean NOT NULL DEFAULT false,
        aggregation_window_minutes integer NOT NULL DEFAULT 60 CHECK (aggregation_window_minutes > 0 AND aggregation_window_minutes <= 1440),
        livemode boolean,
        last_tested_at timestamptz,
        last_test_status text CHECK (last_test_status IN ('connected', 'auth_error', 'unreachable')),
        last_test_message text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT stripe_tenant_configs_webhook_secret_sealed CHECK ((webhook_secret_ciphertext IS NULL) = (webhook_secret_key_id IS NULL))
      )`);
    await db.query(`CREATE UNIQUE INDEX ux_stripe_tenant_configs_scope ON stripe_tenant_configs (tenant_id, environment_id)`);
    await db.query(`CREATE INDEX ix_stripe_tenant_configs_sync_enabled ON stripe_tenant_configs (sync_enabled) WHERE sync_enabled`);

    await db.query(`
      CREATE TABLE stripe_config_audit (
        id bigserial PRIMARY KEY,
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        actor text NOT NULL,
        action text NOT NULL CHECK (action IN ('created', 'updated', 'deleted', 'tested', 'rotated')),
        changed_fields text[] NOT NULL DEFAULT '{}',
        detail jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX ix_stripe_config_audit_scope ON stripe_config_audit (tenant_id, environment_id, created_at DESC)`);

    await db.query(`
      CREATE TABLE meter_provider_mappings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        meter_id text NOT NULL,
        provider_type text NOT NULL CHECK (provider_type IN ('stripe')),
        provider_meter_id text NOT NULL,
        sync_enabled boolean NOT NULL DEFAULT true,
        value_precision integer NOT NULL DEFAULT 0 CHECK (value_precision BETWEEN 0 AND 12),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE UNIQUE INDEX ux_meter_provider_mappings_meter ON meter_provider_mappings (tenant_id, environment_id, meter_id)`);

    await db.query(`
      CREATE TABLE customer_integration_mappings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        customer_id text,
        provider_type text NOT NULL CHECK (provider_type IN ('stripe')),
        provider_customer_id text NOT NULL,
        status text NOT NULL DEFAULT 'mapped' CHECK (status IN ('mapped', 'unmatched', 'deleted')),
        source text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'webhook')),
        last_event_created bigint,
        metadata jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT customer_integration_mappings_mapped_has_customer CHECK (status <> 'mapped' OR customer_id IS NOT NULL)
      )`);
    await db.query(
      `CREATE UNIQUE INDEX ux_customer_integration_mappings_customer ON customer_integration_mappings (tenant_id, environment_id, customer_id, provider_type) WHERE customer_id IS NOT NULL`,
    );
    await db.query(
      `CREATE UNIQUE INDEX ux_customer_integration_mappings_provider_customer ON customer_integration_mappings (tenant_id, environment_id, provider_type, provider_customer_id)`,
    );

    await db.query(`
      CREATE TABLE stripe_sync_batches (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        customer_id text NOT NULL,
        provider_customer_id text,
        meter_id text NOT NULL,
        event_name text,
        event_type text NOT NULL,
        window_start timestamptz NOT NULL,
        window_end timestamptz NOT NULL,
        revision integer NOT NULL DEFAULT 0 CHECK (revision >= 0),
        identifier varchar(100) NOT NULL,
        payload_hash text NOT NULL,
        aggregated_quantity numeric(38, 12) NOT NULL,
        sent_value bigint,
        event_count bigint NOT NULL DEFAULT 0,
        stripe_event_id text,
        sync_status text NOT NULL CHECK (sync_status IN ('pending', 'completed', 'failed')),
        error_message text,
        attempt_count integer NOT NULL DEFAULT 0,
        workflow_id text,
        run_id text,
        latency_ms integer,
        completed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT stripe_sync_batches_window_half_open CHECK (window_start < window_end)
      )`);
    await db.query(`CREATE UNIQUE INDEX ux_stripe_sync_batches_identifier ON stripe_sync_batches (tenant_id, environment_id, identifier)`);
    await db.query(
      `CREATE INDEX ix_stripe_sync_batches_window ON stripe_sync_batches (tenant_id, environment_id, window_start, customer_id, meter_id, event_type)`,
    );
    await db.query(
      `CREATE INDEX ix_stripe_sync_batches_pending ON stripe_sync_batches (tenant_id, environment_id) WHERE sync_status = 'pending'`,
    );

    await db.query(`
      CREATE TABLE stripe_webhook_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        stripe_event_id text NOT NULL,
        event_type text NOT NULL,
        livemode boolean NOT NULL DEFAULT false,
        stripe_created bigint NOT NULL,
        payload jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        publish_attempts integer NOT NULL DEFAULT 0,
        last_publish_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE UNIQUE INDEX ux_stripe_webhook_events_event ON stripe_webhook_events (tenant_id, environment_id, stripe_event_id)`,
    );
    await db.query(`CREATE INDEX ix_stripe_webhook_events_unpublished ON stripe_webhook_events (received_at) WHERE published_at IS NULL`);

    await db.query(`
      CREATE TABLE stripe_circuit_breakers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        state text NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half_open')),
        failure_count integer NOT NULL DEFAULT 0,
        opened_at timestamptz,
        reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE UNIQUE INDEX ux_stripe_circuit_breakers_scope ON stripe_circuit_breakers (tenant_id, environment_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of [
      'stripe_circuit_breakers',
      'stripe_webhook_events',
      'stripe_sync_batches',
      'customer_integration_mappings',
      'meter_provider_mappings',
      'stripe_config_audit',
      'stripe_tenant_configs',
    ]) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
