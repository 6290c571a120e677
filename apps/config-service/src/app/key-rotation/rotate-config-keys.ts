import { DataSource, In } from 'typeorm';
import { SealedSecret, SecretBox, SecretBoxError } from '@flexsync/crypto';
import { StripeConfigAudit, StripeTenantConfig } from '@flexsync/persistence';

export const ROTATION_ACTOR = 'system:rotate-keys';

export interface RotationOptions {
  /** Only these tenants' configs; all configs when omitted. */
  tenantIds?: string[];
  /** Count what would be re-sealed, change nothing. */
  dryRun?: boolean;
}

export interface RotationReport {
  currentKeyId: string;
  /** Configs whose API key or webhook secret was (or, in a dry run, would be) re-sealed. */
  rotated: number;
  /** Configs already sealed under the current key. */
  alreadyCurrent: number;
  dryRun: boolean;
}

export interface UnreadableConfig {
  id: string;
  tenantId: string;
  environmentId: string;
  keyId: string;
  reason: SecretBoxError['reason'];
}

/** Rotation stopped before changing anything: some stored secrets cannot be opened with the configured keyring. */
export class RotationAbortedError extends Error {
  constructor(readonly unreadable: UnreadableConfig[]) {
    super(
      `rotation aborted, nothing changed: ${unreadable.length} config(s) cannot be opened with this keyring ` +
        `(add their key ids to FLEXSYNC_ENCRYPTION_KEYS): ` +
        unreadable.map((u) => `${u.tenantId}/${u.environmentId} key ${u.keyId} (${u.reason})`).join(', '),
    );
    this.name = 'RotationAbortedError';
  }
}

function reseal(box: SecretBox, sealed: SealedSecret): SealedSecret {
  const plaintext = box.open(sealed);
  const resealed = box.seal(plaintext);
  // Verify before writing: a row must never end up holding something we cannot open again.
  if (box.open(resealed) !== plaintext) {
    throw new Error('re-sealed value does not round-trip');
  }
  return resealed;
}

/**
 * Re-seals every stored API key and webhook secret under the keyring's current key, in one transaction with the
 * rows locked, writing a `rotated` audit row per config. All or nothing: if any value cannot be opened, nothing changes.
 */
export async function rotateConfigKeys(dataSource: DataSource, box: SecretBox, options: RotationOptions = {}): Promise<RotationReport> {
  return dataSource.transaction(async (manager) => {
    const rows = await manager.getRepository(StripeTenantConfig).find({
      where: options.tenantIds ? { tenantId: In(options.tenantIds) } : {},
      order: { tenantId: 'ASC', environmentId: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
    const stale = rows.filter(
      (row) => row.apiKeyKeyId !== box.currentKeyId || (row.webhookSecretKeyId !== null && row.webhookSecretKeyId !== box.currentKeyId),
    );

    const unreadable: UnreadableConfig[] = [];
    const updates: { row: StripeTenantConfig; apiKey: SealedSecret; webhookSecret: SealedSecret | null; fromKeyIds: string[] }[] = [];
    for (const row of stale) {
      const resealOrRecord = (sealed: SealedSecret): SealedSecret | undefined => {
        try {
          return reseal(box, sealed);
        } catch (error) {
          if (!(error instanceof SecretBoxError)) throw error;
          unreadable.push({
            id: row.id,
            tenantId: row.tenantId,
            environmentId: row.environmentId,
            keyId: sealed.keyId,
            reason: error.reason,
          });
          return undefined;
        }
      };
      const apiKey = resealOrRecord({ ciphertext: row.apiKeyCiphertext, keyId: row.apiKeyKeyId });
      const webhookSecret =
        row.webhookSecretCiphertext && row.webhookSecretKeyId
          ? resealOrRecord({ ciphertext: row.webhookSecretCiphertext, keyId: row.webhookSecretKeyId })
          : null;
      if (apiKey && webhookSecret !== undefined) {
        const fromKeyIds = [...new Set([row.apiKeyKeyId, ...(row.webhookSecretKeyId ? [row.webhookSecretKeyId] : [])])];
        updates.push({ row, apiKey, webhookSecret, fromKeyIds });
      }
    }
    if (unreadable.length > 0) {
      throw new RotationAbortedError(unreadable);
    }

    if (!options.dryRun) {
      for (const { row, apiKey, webhookSecret, fromKeyIds } of updates) {
        await manager
          .createQueryBuilder()
          .update(StripeTenantConfig)
          .set({
            apiKeyCiphertext: apiKey.ciphertext,
            apiKeyKeyId: apiKey.keyId,
            webhookSecretCiphertext: webhookSecret?.ciphertext ?? null,
            webhookSecretKeyId: webhookSecret?.keyId ?? null,
            // Re-encryption changes storage, not the tenant's settings.
            updatedAt: () => '"updated_at"',
          })
          .where('id = :id AND tenant_id = :tenantId AND environment_id = :environmentId', {
            id: row.id,
            tenantId: row.tenantId,
            environmentId: row.environmentId,
          })
          .execute();
        await manager.save(
          manager.create(StripeConfigAudit, {
            tenantId: row.tenantId,
            environmentId: row.environmentId,
            actor: ROTATION_ACTOR,
            action: 'rotated',
            changedFields: webhookSecret ? ['api_key', 'webhook_secret'] : ['api_key'],
            detail: { from_key_ids: fromKeyIds, to_key_id: box.currentKeyId },
          }),
        );
      }
    }
    return {
      currentKeyId: box.currentKeyId,
      rotated: updates.length,
      alreadyCurrent: rows.length - stale.length,
      dryRun: options.dryRun ?? false,
    };
  });
}
