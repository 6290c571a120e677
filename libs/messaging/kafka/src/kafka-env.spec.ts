import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, loadConfig } from '@flexsync/runtime';
import { kafkaSecurityFrom, WithKafkaSecurityFields } from './kafka-env';

class KafkaSecurityConfig extends WithKafkaSecurityFields(class {}) {}

const dir = mkdtempSync(join(tmpdir(), 'kafka-env-spec-'));
const ca = join(dir, 'ca.pem');
const cert = join(dir, 'client.pem');
const key = join(dir, 'client.key');
writeFileSync(ca, 'CA PEM');
writeFileSync(cert, 'CERT PEM');
writeFileSync(key, 'KEY PEM');
const PASSWORD = 'kafka-env-spec-password-7f3a';

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig('svc', KafkaSecurityConfig, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  return '';
}

describe('Kafka security config', () => {
  it('is plaintext without authentication by default', () => {
    expect(kafkaSecurityFrom(loadConfig('svc', KafkaSecurityConfig, {}))).toEqual({});
  });

  it('builds TLS with CA, client certificate and server name, and SCRAM-SHA-512 credentials', () => {
    const config = loadConfig('svc', KafkaSecurityConfig, {
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SSL_KEY_FILE: key,
      KAFKA_SSL_SERVER_NAME: 'kafka.internal',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'mapping-service',
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    expect(kafkaSecurityFrom(config)).toEqual({
      ssl: { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM', servername: 'kafka.internal' },
      sasl: { mechanism: 'scram-sha-512', username: 'mapping-service', password: PASSWORD },
    });
    expect(kafkaSecurityFrom(loadConfig('svc', KafkaSecurityConfig, { KAFKA_SSL: 'true' }))).toEqual({ ssl: true });
  });

  it('reports every bad key at once and never the password', () => {
    const message = problems({
      KAFKA_SSL_CA_FILE: join(dir, 'missing.pem'),
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SASL_MECHANISM: 'scram-sha-1',
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    expect(message).toContain('KAFKA_SSL_CA_FILE: KAFKA_SSL_CA_FILE must name a readable file; KAFKA_SSL_CA_FILE requires KAFKA_SSL=true');
    expect(message).toContain('KAFKA_SSL_KEY_FILE: KAFKA_SSL_KEY_FILE is required together with KAFKA_SSL_CERT_FILE');
    expect(message).toContain('KAFKA_SASL_MECHANISM must be one of scram-sha-512, scram-sha-256, plain');
    expect(message).toContain('KAFKA_SASL_USERNAME: KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM');
    expect(message).not.toContain(PASSWORD);
  });

  it('refuses credentials without a mechanism and plain without TLS', () => {
    expect(problems({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: PASSWORD })).toContain(
      'KAFKA_SASL_PASSWORD requires KAFKA_SASL_MECHANISM',
    );
    expect(problems({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: PASSWORD })).toContain(
      'KAFKA_SASL_MECHANISM requires KAFKA_SSL=true for plain',
    );
    expect(problems({ KAFKA_SSL_SERVER_NAME: 'kafka.internal' })).toContain('KAFKA_SSL_SERVER_NAME requires KAFKA_SSL=true');
  });
});
