import { Writable } from 'node:stream';
import pino from 'pino';
import { DataSource, QueryFailedError } from 'typeorm';
import { stackEnv } from '@flexsync/testing';
import { redactingPinoOptions } from './log-redaction';

describe('log redaction of a failed query (real Postgres)', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = new DataSource({ type: 'postgres', url: stackEnv().DATABASE_URL, logging: false });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it("logs the SQL and the database's reason of a failed query, never its bound webhook payload", async () => {
    const payload = JSON.stringify({
      data: { object: { email: 'ann.customer@example.com', name: 'Ann Customer' } },
      key: 'sk_test_boundParam0001',
    });
    const error = await dataSource.query('SELECT $1::jsonb AS payload, 1 / 0 AS boom', [payload]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QueryFailedError);
    expect((error as QueryFailedError).parameters).toEqual([payload]);

    const chunks: string[] = [];
    const logger = pino(
      { ...redactingPinoOptions() },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk.toString());
          done();
        },
      }),
    );
    logger.error({ err: error, tenant_id: 't1', context: { failure: error } }, 'webhook insert failed');
    const output = chunks.join('');
    expect(output).toContain('division by zero');
    expect(output).toContain('SELECT $1::jsonb');
    expect(output).not.toContain('ann.customer@example.com');
    expect(output).not.toContain('Ann Customer');
    expect(output).not.toContain('sk_test_boundParam0001');
  });
});
