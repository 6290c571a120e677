import { Writable } from 'node:stream';
import { temporalSdkLogger } from './temporal-connection';

describe('Temporal SDK logger', () => {
  it('writes JSON lines through the shared redaction, nested keys and messages included', () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    const logger = temporalSdkLogger('sync-worker', 'INFO', destination);
    logger.warn('Activity failed with sk_live_abcdef123456', {
      activityType: 'SyncToStripeActivity',
      input: { tenant: { stripe: { apiKey: 'sk_live_nested987654', webhook_secret: 'whsec_nested123456' } } },
    });
    logger.debug('below the level', { token: 'never-written' });
    const output = chunks.join('');
    expect(output).toContain('"component":"temporal-sdk"');
    expect(output).toContain('SyncToStripeActivity');
    expect(output).not.toMatch(/sk_live_abcdef|sk_live_nested|whsec_nested|never-written/);
  });
});
