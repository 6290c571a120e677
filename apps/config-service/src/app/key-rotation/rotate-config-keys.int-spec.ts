import { execFile } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { In } from 'typeorm';
import { EncryptionKeyring, SecretBox } from '@flexsync/crypto';
import { StripeConfigAudit, StripeTenantConfig } from '@flexsync/persistence';
import { REPO_ROOT, stackEnv, uniqueTenant } from '@flexsync/testing';
import { RunningConfigService, startConfigService, testKeyring, tokenFor, validConfigBody } from '../../testing/config-service.harness';
import { rotateConfigKeys, RotationAbortedError, ROTATION_ACTOR } from './rotate-config-keys';

const run = promisify(execFile);

/** A value as the unbound `v1` envelope (before bindings) stored it: only `v1:<key id>` was authenticated. */
function legacySeal(entry: string, plaintext: string): { ciphertext: string; keyId: string } {
  const [keyId, material] = entry.split(':');
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(material, 'base64'), nonce, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(`v1:${keyId}`, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { ciphertext: ['v1', ...[nonce, body, cipher.getAuthTag()].map((part) => part.toString('base64url'))].join('.'), keyId };
}

describe('rotating the master key (real Postgres)', () => {
  const keyring = testKeyring('k1', 'k2', 'k3', 'k9');
  const box = (current: string, ...ids: string[]) =>
    new SecretBox(EncryptionKeyring.parse(ids.map((id) => keyring.entries[id]).join(','), current));
  let service: RunningConfigService;

  beforeAll(async () => {
    service = await startConfigService({ databaseUrl: stackEnv().DATABASE_URL, keys: keyring.entries.k1, currentKeyId: 'k1' });
  });

  afterAll(async () => {
    await service.close();
  });

  /** Three configs (two with webhook secrets) sealed under k1 through the API; returns their tenant and plaintexts. */
  async function seed(label: string): Promise<{ tenantId: string; secrets: Map<string, { apiKey: string; webhookSecret?: string }> }> {
    const { tenantId, environmentId } = uniqueTenant(label);
    const secrets = new Map<string, { apiKey: string; webhookSecret?: string }>();
    for (const [index, env] of [`${environmentId}_1`, `${environmentId}_2`, `${environmentId}_3`].entries()) {
      const body = validConfigBody(index < 2 ? { webhook_secret: `whsec_rotation${index}secret${label.length}x` } : {});
      secrets.set(env, { apiKey: body.api_key as string, webhookSecret: body.webhook_secret as string | undefined });
      await service.http
        .put('/v1/stripe/config')
        .set('Authorization', `Bearer ${await tokenFor({ tenantId, environmentId: env })}`)
        .send(body)
        .expect(201);
    }
    return { tenantId, secrets };
  }

  function rows(tenantId: string): Promise<StripeTenantConfig[]> {
    return service.dataSource
      .getRepository(StripeTenantConfig)
      .find({ where: { tenantId: In([tenantId]) }, order: { environmentId: 'ASC' } });
  }

  it('re-seals every row under the current key, keeps every row readable, and audits each as rotated', async () => {
    const { tenantId, secrets } = await seed('rotate');
    const before = await rows(tenantId);
    expect(before.every((r) => r.apiKeyKeyId === 'k1')).toBe(true);

    const report = await rotateConfigKeys(service.dataSource, box('k2', 'k2', 'k1'), { tenantIds: [tenantId] });
    expect(report).toEqual({ currentKeyId: 'k2', rotated: 3, alreadyCurrent: 0, dryRun: false });

    const after = await rows(tenantId);
    const onlyK2 = box('k2', 'k2');
    for (const row of after) {
      const expected = secrets.get(row.environmentId);
      expect(row.apiKeyKeyId).toBe('k2');
      expect(onlyK2.open({ ciphertext: row.apiKeyCiphertext, keyId: row.apiKeyKeyId }, { ...row, field: 'api_key' })).toBe(
        expected?.apiKey,
      );
      if (expected?.webhookSecret) {
        expect(row.webhookSecretKeyId).toBe('k2');
        expect(
          onlyK2.open(
            { ciphertext: row.webhookSecretCiphertext as string, keyId: row.webhookSecretKeyId as string },
            { ...row, field: 'webhook_secret' },
          ),
        ).toBe(expected.webhookSecret);
      } else {
        expect(row.webhookSecretCiphertext).toBeNull();
      }
      const previous = before.find((b) => b.id === row.id) as StripeTenantConfig;
      expect(row.updatedAt).toEqual(previous.updatedAt);
      expect(row.apiKeyMasked).toBe(previous.apiKeyMasked);
    }

    const audits = await service.dataSource.getRepository(StripeConfigAudit).find({ where: { tenantId, action: 'rotated' } });
    expect(audits).toHaveLength(3);
    for (const audit of audits) {
      expect(audit.actor).toBe(ROTATION_ACTOR);
      expect(audit.detail).toEqual({ new_master_key: true, newly_bound: false });
      const secret = secrets.get(audit.environmentId);
      expect(audit.changedFields).toEqual(secret?.webhookSecret ? ['api_key', 'webhook_secret'] : ['api_key']);
      expect(JSON.stringify(audit)).not.toContain(secret?.apiKey);
    }

    const again = await rotateConfigKeys(service.dataSource, box('k2', 'k2', 'k1'), { tenantIds: [tenantId] });
    expect(again).toMatchObject({ rotated: 0, alreadyCurrent: 3 });
  });

  it('lets a service holding only the new key read configs after rotation', async () => {
    const { tenantId, secrets } = await seed('rotate-read');
    await rotateConfigKeys(service.dataSource, box('k2', 'k2', 'k1'), { tenantIds: [tenantId] });
    const rotatedService = await startConfigService({ databaseUrl: stackEnv().DATABASE_URL, keys: keyring.entries.k2, currentKeyId: 'k2' });
    try {
      for (const [environmentId, secret] of secrets) {
        const token = await tokenFor({ tenantId, environmentId });
        // Same key again: unchanged only if the stored key opens under k2 alone.
        const response = await rotatedService.http
          .put('/v1/stripe/config')
          .set('Authorization', `Bearer ${token}`)
          .send(validConfigBody({ api_key: secret.apiKey }))
          .expect(200);
        expect(response.body.updated_at).toBe(
          (await rows(tenantId)).find((r) => r.environmentId === environmentId)?.updatedAt.toISOString(),
        );
      }
      const history = await rotatedService.http
        .get('/v1/stripe/config/history')
        .set('Authorization', `Bearer ${await tokenFor({ tenantId, environmentId: [...secrets.keys()][0] })}`);
      expect(history.body.entries.map((e: { action: string }) => e.action)).toEqual(['rotated', 'created']);
    } finally {
      await rotatedService.close();
    }
  });

  it('reads rows sealed before bindings existed, then re-seals them bound to their row under the same key', async () => {
    const { tenantId, secrets } = await seed('rotate-legacy');
    for (const row of await rows(tenantId)) {
      const secret = secrets.get(row.environmentId) as { apiKey: string; webhookSecret?: string };
      const apiKey = legacySeal(keyring.entries.k1, secret.apiKey);
      const webhookSecret = secret.webhookSecret ? legacySeal(keyring.entries.k1, secret.webhookSecret) : null;
      await service.dataSource
        .createQueryBuilder()
        .update(StripeTenantConfig)
        .set({
          apiKeyCiphertext: apiKey.ciphertext,
          apiKeyKeyId: apiKey.keyId,
          webhookSecretCiphertext: webhookSecret?.ciphertext ?? null,
          webhookSecretKeyId: webhookSecret?.keyId ?? null,
        })
        .where('id = :id AND tenant_id = :tenantId AND environment_id = :environmentId', row)
        .execute();
    }
    const [environmentId, secret] = [...secrets][0];
    const token = await tokenFor({ tenantId, environmentId });
    // Readable until re-sealed: the same key again is "unchanged" only if the legacy value opens.
    await service.http
      .put('/v1/stripe/config')
      .set('Authorization', `Bearer ${token}`)
      .send(validConfigBody({ api_key: secret.apiKey }))
      .expect(200);
    expect((await rows(tenantId)).every((row) => row.apiKeyCiphertext.startsWith('v1.'))).toBe(true);

    const report = await rotateConfigKeys(service.dataSource, box('k1', 'k1'), { tenantIds: [tenantId] });
    expect(report).toEqual({ currentKeyId: 'k1', rotated: 3, alreadyCurrent: 0, dryRun: false });
    const onlyK1 = box('k1', 'k1');
    const after = await rows(tenantId);
    for (const row of after) {
      expect(row.apiKeyCiphertext.startsWith('v2.')).toBe(true);
      expect(onlyK1.isBound({ ciphertext: row.apiKeyCiphertext, keyId: row.apiKeyKeyId })).toBe(true);
      expect(onlyK1.open({ ciphertext: row.apiKeyCiphertext, keyId: row.apiKeyKeyId }, { ...row, field: 'api_key' })).toBe(
        secrets.get(row.environmentId)?.apiKey,
      );
      if (row.webhookSecretCiphertext) expect(row.webhookSecretCiphertext.startsWith('v2.')).toBe(true);
    }
    // Now bound: the same ciphertext under a sibling environment no longer opens.
    expect(() => onlyK1.open({ ciphertext: after[0].apiKeyCiphertext, keyId: 'k1' }, { ...after[1], field: 'api_key' })).toThrow(
      'failed authentication',
    );

    const history = await service.http.get('/v1/stripe/config/history').set('Authorization', `Bearer ${token}`).expect(200);
    expect(history.body.entries[0]).toMatchObject({ action: 'rotated', detail: { new_master_key: false, newly_bound: true } });
    expect(history.text).not.toContain('key_id');
    expect(history.text).not.toContain('k1');
    expect(await rotateConfigKeys(service.dataSource, box('k1', 'k1'), { tenantIds: [tenantId] })).toMatchObject({ rotated: 0 });
  });

  it('changes nothing when any row cannot be opened with the keyring', async () => {
    const { tenantId } = await seed('rotate-abort');
    const [first] = await rows(tenantId);
    const stranger = box('k9', 'k9').seal(['sk', 'test', 'sealedUnderForgottenKey'].join('_'), { ...first, field: 'api_key' });
    await service.dataSource
      .createQueryBuilder()
      .update(StripeTenantConfig)
      .set({ apiKeyCiphertext: stranger.ciphertext, apiKeyKeyId: stranger.keyId })
      .where('id = :id AND tenant_id = :tenantId AND environment_id = :environmentId', first)
      .execute();
    const before = await rows(tenantId);

    const attempt = rotateConfigKeys(service.dataSource, box('k2', 'k2', 'k1'), { tenantIds: [tenantId] });
    await expect(attempt).rejects.toThrow(RotationAbortedError);
    await expect(rotateConfigKeys(service.dataSource, box('k2', 'k2', 'k1'), { tenantIds: [tenantId] })).rejects.toThrow(
      `${tenantId}/${first.environmentId} key k9`,
    );
    expect(await rows(tenantId)).toEqual(before);
    expect(await service.dataSource.getRepository(StripeConfigAudit).count({ where: { tenantId, action: 'rotated' } })).toBe(0);
  });

  it('counts without changing anything in a dry run', async () => {
    const { tenantId } = await seed('rotate-dry');
    const before = await rows(tenantId);
    const report = await rotateConfigKeys(service.dataSource, box('k2', 'k2', 'k1'), { tenantIds: [tenantId], dryRun: true });
    expect(report).toEqual({ currentKeyId: 'k2', rotated: 3, alreadyCurrent: 0, dryRun: true });
    expect(await rows(tenantId)).toEqual(before);
  });

  it('rotates from the command line: rotate-keys re-seals to the current key and prints a report', async () => {
    const { tenantId, secrets } = await seed('rotate-cli');
    const { stdout } = await run(
      process.execPath,
      [join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, 'apps/config-service/src/cli/rotate-keys.ts'), '--tenant', tenantId],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: stackEnv().DATABASE_URL,
          FLEXSYNC_ENCRYPTION_KEYS: [keyring.entries.k3, keyring.entries.k1].join(','),
          FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k3',
        },
      },
    );
    expect(JSON.parse(stdout)).toEqual({ currentKeyId: 'k3', rotated: 3, alreadyCurrent: 0, dryRun: false });
    const onlyK3 = box('k3', 'k3');
    for (const row of await rows(tenantId)) {
      expect(onlyK3.open({ ciphertext: row.apiKeyCiphertext, keyId: row.apiKeyKeyId }, { ...row, field: 'api_key' })).toBe(
        secrets.get(row.environmentId)?.apiKey,
      );
    }
  });

  it('refuses to run the command without a valid keyring', async () => {
    const attempt = run(
      process.execPath,
      [join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, 'apps/config-service/src/cli/rotate-keys.ts')],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: stackEnv().DATABASE_URL,
          FLEXSYNC_ENCRYPTION_KEYS: 'k1:tooshort',
          FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k1',
        },
      },
    );
    await expect(attempt).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('key k1: the key must be base64 of exactly 32 bytes'),
    });
  });
});
