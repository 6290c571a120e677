import type { DataSource } from 'typeorm';
import { SealedSecret, SecretBinding, SecretBox, SecretBoxError } from '@flexsync/crypto';
import { StripeConfigStore, type StripeTenantConfig } from '@flexsync/persistence';

export const ROTATION_ACTOR = 'system:rotate-keys';

export interface RotationOptions {
  /** Only these tenants' configs; all configs when omitted. */
  tenantIds?: string[];
  /** Count what would be re-sealed, change nothing. */
  dryRun?: boolean;
}

export interface RotationReport {
  currentKeyId: string;
  /** Configs whose API key or webhook secret was (or, in a dry run, would be) re-sealed: older key, or not bound to its row. */
  rotated: number;
  /** Configs already sealed under the current key and bound to their row. */
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

function reseal(box: SecretBox, sealed: SealedSecret, at: SecretBinding): SealedSecret {
  const plaintext = box.open(sealed, at);
  const resealed = box.seal(plaintext, at);
  // Verify before writing: a row must never end up holding something we cannot open again.
  if (box.open(resealed, at) !== plaintext) {
    throw new Error('re-sealed value does not round-trip');
  }
  return resealed;
}

function storedSecrets(row: StripeTenantConfig): { field: SecretBinding['field']; sealed: SealedSecret }[] {
  return [
    { field: 'api_key', sealed: { ciphertext: row.apiKeyCiphertext, keyId: row.apiKeyKeyId } },
    ...(row.webhookSecretCiphertext && row.webhookSecretKeyId
      ? [{ field: 'webhook_secret' as const, sealed: { ciphertext: row.webhookSecretCiphertext, keyId: row.webhookSecretKeyId } }]
      : []),
  ];
}

/**
 * Re-seals every stored API key and webhook secret under the keyring's current key, bound to its row (tenant,
 * environment, field; legacy unbound `v1` values become bound `v2`), in one transaction with the rows locked, writing
 * a `rotated` audit row per config. All or nothing: if any value cannot be opened, nothing changes.
 */
export async function rotateConfigKeys(dataSource: DataSource, box: SecretBox, options: RotationOptions = {}): Promise<RotationReport> {
  const store = new StripeConfigStore(dataSource);
  return store.transaction(async (manager) => {
    const rows = await store.lockForRotation(manager, options.tenantIds);
    const stale = rows.filter((row) => storedSecrets(row).some(({ sealed }) => box.needsRotation(sealed)));

    const unreadable: UnreadableConfig[] = [];
    const updates: {
      row: StripeTenantConfig;
      apiKey: SealedSecret;
      webhookSecret: SealedSecret | null;
      newMasterKey: boolean;
      newlyBound: boolean;
    }[] = [];
    for (const row of stale) {
      const resealOrRecord = (sealed: SealedSecret, field: SecretBinding['field']): SealedSecret | undefined => {
        try {
          return reseal(box, sealed, { tenantId: row.tenantId, environmentId: row.environmentId, field });
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
      const apiKey = resealOrRecord({ ciphertext: row.apiKeyCiphertext, keyId: row.apiKeyKeyId }, 'api_key');
      const webhookSecret =
        row.webhookSecretCiphertext && row.webhookSecretKeyId
          ? resealOrRecord({ ciphertext: row.webhookSecretCiphertext, keyId: row.webhookSecretKeyId }, 'webhook_secret')
          : null;
      if (apiKey && webhookSecret !== undefined) {
        const before = storedSecrets(row).map(({ sealed }) => sealed);
        updates.push({
          row,
          apiKey,
          webhookSecret,
          newMasterKey: before.some((sealed) => sealed.keyId !== box.currentKeyId),
          newlyBound: before.some((sealed) => !box.isBound(sealed)),
        });
      }
    }
    if (unreadable.length > 0) {
      throw new RotationAbortedError(unreadable);
    }

    if (!options.dryRun) {
      for (const { row, apiKey, webhookSecret, newMasterKey, newlyBound } of updates) {
        const scope = { tenantId: row.tenantId, environmentId: row.environmentId };
        await store.replaceSealedSecrets(manager, row, {
          apiKeyCiphertext: apiKey.ciphertext,
          apiKeyKeyId: apiKey.keyId,
          webhookSecretCiphertext: webhookSecret?.ciphertext ?? null,
          webhookSecretKeyId: webhookSecret?.keyId ?? null,
        });
        await store.audit(manager, scope, {
          actor: ROTATION_ACTOR,
          action: 'rotated',
          changedFields: webhookSecret ? ['api_key', 'webhook_secret'] : ['api_key'],
          // Key ids are operator details (the command's report), not something the history API shows tenants.
          detail: { new_master_key: newMasterKey, newly_bound: newlyBound },
        });
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
