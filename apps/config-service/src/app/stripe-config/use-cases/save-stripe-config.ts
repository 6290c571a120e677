import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TenantPrincipal } from '@flexsync/auth';
import { SealedSecret, SecretBinding, SecretBox, SecretField } from '@flexsync/crypto';
import { isUniqueViolation, type StripeConfigPatch, StripeConfigStore, StripeTenantConfig, TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import { maskSecret } from '@flexsync/stripe-client';
import { PutStripeConfigDto } from '../dto/put-stripe-config.dto';
import { StripeConfigMetrics } from '../stripe-config.metrics';

export interface SaveOutcome {
  config: StripeTenantConfig;
  created: boolean;
  changedFields: string[];
}

interface Change {
  patch: StripeConfigPatch;
  changedFields: string[];
  detail: Record<string, unknown>;
}

function binding(scope: TenantScope, field: SecretField): SecretBinding {
  return { tenantId: scope.tenantId, environmentId: scope.environmentId, field };
}

/** `PUT /v1/stripe/config`: creates or updates the caller's config, sealing secrets, auditing which fields changed. */
@Injectable()
export class SaveStripeConfig {
  private readonly logger = new Logger(SaveStripeConfig.name);

  constructor(
    private readonly store: StripeConfigStore,
    private readonly secretBox: SecretBox,
    private readonly metrics: StripeConfigMetrics,
  ) {}

  async execute(principal: TenantPrincipal, dto: PutStripeConfigDto): Promise<SaveOutcome> {
    const scope: TenantScope = { tenantId: principal.tenantId, environmentId: principal.environmentId };
    let outcome: { created: boolean; changedFields: string[] };
    try {
      outcome = await this.store.transaction((manager) => this.apply(manager, scope, principal.subject, dto));
    } catch (error) {
      // Two first PUTs raced: the other one inserted; apply ours as an update.
      if (!isUniqueViolation(error)) throw error;
      outcome = await this.store.transaction((manager) => this.apply(manager, scope, principal.subject, dto));
    }
    const config = await this.store.find(scope);
    if (!config) {
      throw new DomainError('CONFIG.NOT_FOUND', 'the Stripe config was deleted while it was being saved');
    }
    if (outcome.created || outcome.changedFields.length > 0) {
      const action = outcome.created ? 'created' : 'updated';
      this.metrics.changed(action);
      this.logger.log(
        {
          tenant_id: scope.tenantId,
          environment_id: scope.environmentId,
          actor: principal.subject,
          action,
          changed_fields: outcome.changedFields,
        },
        `stripe config ${action}`,
      );
    } else {
      this.logger.log(
        { tenant_id: scope.tenantId, environment_id: scope.environmentId, actor: principal.subject },
        'stripe config unchanged',
      );
    }
    return { config, ...outcome };
  }

  private async apply(
    manager: EntityManager,
    scope: TenantScope,
    actor: string,
    dto: PutStripeConfigDto,
  ): Promise<{ created: boolean; changedFields: string[] }> {
    const existing = await this.store.findForUpdate(scope, manager);
    if (!existing) {
      const apiKey = this.secretBox.seal(dto.api_key, binding(scope, 'api_key'));
      const webhookSecret = dto.webhook_secret ? this.secretBox.seal(dto.webhook_secret, binding(scope, 'webhook_secret')) : null;
      await this.store.insert(manager, scope, {
        apiKeyCiphertext: apiKey.ciphertext,
        apiKeyKeyId: apiKey.keyId,
        apiKeyMasked: maskSecret(dto.api_key),
        webhookSecretCiphertext: webhookSecret?.ciphertext ?? null,
        webhookSecretKeyId: webhookSecret?.keyId ?? null,
        syncEnabled: dto.sync_enabled,
        aggregationWindowMinutes: dto.aggregation_window_minutes,
        usageSource: dto.usage_source ?? null,
      });
      const changedFields = [
        'api_key',
        'sync_enabled',
        'aggregation_window_minutes',
        ...(webhookSecret ? ['webhook_secret'] : []),
        ...(dto.usage_source ? ['usage_source'] : []),
      ];
      await this.store.audit(manager, scope, {
        actor,
        action: 'created',
        changedFields,
        detail: {
          api_key_masked: maskSecret(dto.api_key),
          sync_enabled: dto.sync_enabled,
          aggregation_window_minutes: dto.aggregation_window_minutes,
        },
      });
      return { created: true, changedFields };
    }
    const change = this.diff(existing, dto);
    if (change.changedFields.length === 0) {
      return { created: false, changedFields: [] };
    }
    await this.store.update(manager, scope, change.patch);
    await this.store.audit(manager, scope, { actor, action: 'updated', changedFields: change.changedFields, detail: change.detail });
    return { created: false, changedFields: change.changedFields };
  }

  private diff(existing: StripeTenantConfig, dto: PutStripeConfigDto): Change {
    const change: Change = { patch: {}, changedFields: [], detail: {} };
    const apiKeyBinding = binding(existing, 'api_key');
    if (!this.holds({ ciphertext: existing.apiKeyCiphertext, keyId: existing.apiKeyKeyId }, apiKeyBinding, dto.api_key)) {
      const sealed = this.secretBox.seal(dto.api_key, apiKeyBinding);
      const masked = maskSecret(dto.api_key);
      // A new key invalidates the previous connection test.
      Object.assign(change.patch, {
        apiKeyCiphertext: sealed.ciphertext,
        apiKeyKeyId: sealed.keyId,
        apiKeyMasked: masked,
        livemode: null,
        stripeAccountId: null,
        lastTestedAt: null,
        lastTestStatus: null,
        lastTestMessage: null,
      });
      change.changedFields.push('api_key');
      change.detail.api_key_masked = { from: existing.apiKeyMasked, to: masked };
    }
    if (existing.syncEnabled !== dto.sync_enabled) {
      change.patch.syncEnabled = dto.sync_enabled;
      change.changedFields.push('sync_enabled');
      change.detail.sync_enabled = { from: existing.syncEnabled, to: dto.sync_enabled };
    }
    if (existing.aggregationWindowMinutes !== dto.aggregation_window_minutes) {
      change.patch.aggregationWindowMinutes = dto.aggregation_window_minutes;
      change.changedFields.push('aggregation_window_minutes');
      change.detail.aggregation_window_minutes = { from: existing.aggregationWindowMinutes, to: dto.aggregation_window_minutes };
    }
    // `undefined` keeps the stored source, `null` returns to the worker's default.
    if (dto.usage_source !== undefined && existing.usageSource !== dto.usage_source) {
      change.patch.usageSource = dto.usage_source;
      change.changedFields.push('usage_source');
      change.detail.usage_source = { from: existing.usageSource, to: dto.usage_source };
    }
    this.diffWebhookSecret(existing, dto.webhook_secret, change);
    return change;
  }

  /** `undefined` keeps the stored secret, `null` removes it, a string sets or replaces it. */
  private diffWebhookSecret(existing: StripeTenantConfig, requested: string | null | undefined, change: Change): void {
    if (requested === undefined) return;
    const stored =
      existing.webhookSecretCiphertext && existing.webhookSecretKeyId
        ? { ciphertext: existing.webhookSecretCiphertext, keyId: existing.webhookSecretKeyId }
        : null;
    if (requested === null) {
      if (!stored) return;
      Object.assign(change.patch, { webhookSecretCiphertext: null, webhookSecretKeyId: null });
      change.changedFields.push('webhook_secret');
      change.detail.webhook_secret = 'removed';
      return;
    }
    const webhookSecretBinding = binding(existing, 'webhook_secret');
    if (stored && this.holds(stored, webhookSecretBinding, requested)) return;
    const sealed = this.secretBox.seal(requested, webhookSecretBinding);
    Object.assign(change.patch, { webhookSecretCiphertext: sealed.ciphertext, webhookSecretKeyId: sealed.keyId });
    change.changedFields.push('webhook_secret');
    change.detail.webhook_secret = stored ? 'replaced' : 'set';
  }

  /** Whether `sealed` holds `plaintext`. A value that no longer opens (its key left the keyring) counts as different, so a PUT repairs it. */
  private holds(sealed: SealedSecret, at: SecretBinding, plaintext: string): boolean {
    try {
      return this.secretBox.open(sealed, at) === plaintext;
    } catch {
      return false;
    }
  }
}
