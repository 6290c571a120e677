import { In, LessThan, type DataSource, type EntityManager } from 'typeorm';
import type { TenantScope } from '../entities/tenant-scoped';
import { StripeConfigAudit, type ConfigAuditAction } from './stripe-config-audit.entity';
import { StripeTenantConfig } from './stripe-tenant-config.entity';

/** Moves `updated_at` forward on every change, strictly, even for two changes within one millisecond. */
export const BUMP_UPDATED_AT = () => `GREATEST(clock_timestamp(), "updated_at" + interval '1 millisecond')`;
/** Leaves `updated_at` as it is (TypeORM would otherwise set it on every update): connection tests are not changes. */
export const KEEP_UPDATED_AT = () => `"updated_at"`;

export type StripeConfigPatch = Partial<
  Pick<
    StripeTenantConfig,
    | 'apiKeyCiphertext'
    | 'apiKeyKeyId'
    | 'apiKeyMasked'
    | 'webhookSecretCiphertext'
    | 'webhookSecretKeyId'
    | 'syncEnabled'
    | 'aggregationWindowMinutes'
    | 'usageSource'
    | 'livemode'
    | 'stripeAccountId'
    | 'lastTestedAt'
    | 'lastTestStatus'
    | 'lastTestMessage'
  >
>;

export interface AuditEntry {
  actor: string;
  action: ConfigAuditAction;
  changedFields: string[];
  /** Non-secret facts only: field names, masked keys, booleans, numbers. */
  detail?: Record<string, unknown>;
}

export interface TenantSyncSettings {
  windowMinutes: number;
  syncEnabled: boolean;
}

/** One tenant+environment the hourly schedule syncs. */
export interface SyncTenantRow extends TenantScope {
  windowMinutes: number;
}

/**
 * Every read and write of `stripe_tenant_configs` and of its history `stripe_config_audit` (written only in the
 * config's own transaction), by config-service (the owner), the orchestrator and the sync worker: TypeORM
 * repositories and query builders, each filtered by tenant and environment except the scheduler's listing.
 */
export class StripeConfigStore {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  find(scope: TenantScope, manager: EntityManager = this.dataSource.manager): Promise<StripeTenantConfig | null> {
    return manager.getRepository(StripeTenantConfig).findOne({ where: { tenantId: scope.tenantId, environmentId: scope.environmentId } });
  }

  /** A tenant's sync settings, or undefined when it has no Stripe config. */
  async syncSettings(scope: TenantScope): Promise<TenantSyncSettings | undefined> {
    const config = await this.dataSource.getRepository(StripeTenantConfig).findOne({
      select: { aggregationWindowMinutes: true, syncEnabled: true },
      where: { tenantId: scope.tenantId, environmentId: scope.environmentId },
    });
    return config ? { windowMinutes: config.aggregationWindowMinutes, syncEnabled: config.syncEnabled } : undefined;
  }

  /**
   * One page of the tenants with sync enabled, in key order after a keyset cursor (the unique (tenant_id,
   * environment_id) index serves it). The one deliberately cross-tenant read: the scheduler must find every tenant;
   * each run it starts is scoped to one.
   */
  async listSyncEnabled(after: TenantScope | undefined, limit: number): Promise<SyncTenantRow[]> {
    const query = this.dataSource
      .getRepository(StripeTenantConfig)
      .createQueryBuilder('c')
      .select(['c.tenantId', 'c.environmentId', 'c.aggregationWindowMinutes'])
      .where('c.syncEnabled')
      .orderBy('c.tenantId', 'ASC')
      .addOrderBy('c.environmentId', 'ASC')
      .limit(limit);
    if (after) query.andWhere('(c.tenant_id, c.environment_id) > (:tenantId, :environmentId)', after);
    const rows = await query.getMany();
    return rows.map((row) => ({ tenantId: row.tenantId, environmentId: row.environmentId, windowMinutes: row.aggregationWindowMinutes }));
  }

  /** The row, locked until the transaction ends, so concurrent changes to one config serialise. */
  findForUpdate(scope: TenantScope, manager: EntityManager): Promise<StripeTenantConfig | null> {
    return manager.getRepository(StripeTenantConfig).findOne({
      where: { tenantId: scope.tenantId, environmentId: scope.environmentId },
      lock: { mode: 'pessimistic_write' },
    });
  }

  async insert(
    manager: EntityManager,
    scope: TenantScope,
    values: Required<
      Pick<StripeConfigPatch, 'apiKeyCiphertext' | 'apiKeyKeyId' | 'apiKeyMasked' | 'syncEnabled' | 'aggregationWindowMinutes'>
    > &
      StripeConfigPatch,
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(StripeTenantConfig)
      .values({ ...values, tenantId: scope.tenantId, environmentId: scope.environmentId })
      .execute();
  }

  /** Applies `patch`; returns whether a row was changed. */
  async update(manager: EntityManager, scope: TenantScope, patch: StripeConfigPatch): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(StripeTenantConfig)
      .set({ ...patch, updatedAt: BUMP_UPDATED_AT })
      .where('tenant_id = :tenantId AND environment_id = :environmentId', scope)
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Records a connection test on the config, but only while it still holds the key that was tested (a PUT may have
   * replaced it meanwhile). Leaves `updated_at` alone: a test is not a change. Returns whether the row was updated.
   */
  async recordConnectionTest(
    manager: EntityManager,
    scope: TenantScope,
    testedCiphertext: string,
    patch: StripeConfigPatch,
  ): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(StripeTenantConfig)
      .set({ ...patch, updatedAt: KEEP_UPDATED_AT })
      .where('tenant_id = :tenantId AND environment_id = :environmentId AND api_key_ciphertext = :testedCiphertext', {
        ...scope,
        testedCiphertext,
      })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Every config (or those of `tenantIds`), locked until the transaction ends, in key order. Cross-tenant on purpose:
   * key rotation is an operator command over all stored secrets.
   */
  lockForRotation(manager: EntityManager, tenantIds?: readonly string[]): Promise<StripeTenantConfig[]> {
    return manager.getRepository(StripeTenantConfig).find({
      where: tenantIds ? { tenantId: In([...tenantIds]) } : {},
      order: { tenantId: 'ASC', environmentId: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** Stores re-sealed secrets on `row`. Re-encryption changes storage, not the tenant's settings: `updated_at` stays. */
  async replaceSealedSecrets(
    manager: EntityManager,
    row: StripeTenantConfig,
    sealed: Required<Pick<StripeConfigPatch, 'apiKeyCiphertext' | 'apiKeyKeyId' | 'webhookSecretCiphertext' | 'webhookSecretKeyId'>>,
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(StripeTenantConfig)
      .set({ ...sealed, updatedAt: KEEP_UPDATED_AT })
      .where('id = :id AND tenant_id = :tenantId AND environment_id = :environmentId', {
        id: row.id,
        tenantId: row.tenantId,
        environmentId: row.environmentId,
      })
      .execute();
  }

  async delete(manager: EntityManager, scope: TenantScope): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .delete()
      .from(StripeTenantConfig)
      .where('tenant_id = :tenantId AND environment_id = :environmentId', scope)
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async audit(manager: EntityManager, scope: TenantScope, entry: AuditEntry): Promise<void> {
    await manager.save(
      manager.create(StripeConfigAudit, {
        tenantId: scope.tenantId,
        environmentId: scope.environmentId,
        actor: entry.actor,
        action: entry.action,
        changedFields: entry.changedFields,
        detail: entry.detail ?? null,
      }),
    );
  }

  /** Newest first; `before` pages by audit id. */
  history(scope: TenantScope, limit: number, before?: number): Promise<StripeConfigAudit[]> {
    return this.dataSource.getRepository(StripeConfigAudit).find({
      where: {
        tenantId: scope.tenantId,
        environmentId: scope.environmentId,
        ...(before !== undefined ? { id: LessThan(String(before)) } : {}),
      },
      order: { id: 'DESC' },
      take: limit,
    });
  }
}
