import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, loadConfig } from '@flexsync/runtime';
import { temporalConnectionOptions } from './temporal-connection';
import { temporalSecurityFrom, WithTemporalSecurityFields } from './temporal-env';

class TemporalSecurityConfig extends WithTemporalSecurityFields(class {}) {}

const dir = mkdtempSync(join(tmpdir(), 'temporal-env-spec-'));
const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') };
writeFileSync(files.ca, 'CA');
writeFileSync(files.cert, 'CRT');
writeFileSync(files.key, 'KEY');
const API_KEY = 'temporal-env-spec-api-key-91c2';

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig('svc', TemporalSecurityConfig, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  return '';
}

describe('Temporal security config', () => {
  it('connects in plaintext without credentials by default', () => {
    const config = loadConfig('svc', TemporalSecurityConfig, {});
    expect(temporalConnectionOptions({ address: 'temporal:7233', ...temporalSecurityFrom(config) })).toEqual({ address: 'temporal:7233' });
  });

  it('builds mTLS with CA, client pair and server name, and an API key', () => {
    const config = loadConfig('svc', TemporalSecurityConfig, {
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_CA_FILE: files.ca,
      TEMPORAL_TLS_CERT_FILE: files.cert,
      TEMPORAL_TLS_KEY_FILE: files.key,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      TEMPORAL_API_KEY: API_KEY,
    });
    expect(temporalSecurityFrom(config)).toEqual({
      tls: {
        serverRootCACertificate: Buffer.from('CA'),
        clientCertPair: { crt: Buffer.from('CRT'), key: Buffer.from('KEY') },
        serverNameOverride: 'temporal.internal',
      },
      apiKey: API_KEY,
    });
    expect(temporalSecurityFrom(loadConfig('svc', TemporalSecurityConfig, { TEMPORAL_TLS: 'true' }))).toEqual({ tls: true });
  });

  it('reports every bad key at once, never the API key', () => {
    const message = problems({
      TEMPORAL_TLS_CERT_FILE: join(dir, 'missing.pem'),
      TEMPORAL_API_KEY: API_KEY,
      TEMPORAL_TLS_SERVER_NAME: 'x',
    });
    expect(message).toContain('TEMPORAL_TLS_CERT_FILE must name a readable file');
    expect(message).toContain('TEMPORAL_TLS_KEY_FILE is required together with TEMPORAL_TLS_CERT_FILE');
    expect(message).toContain('TEMPORAL_API_KEY requires TEMPORAL_TLS=true');
    expect(message).toContain('TEMPORAL_TLS_SERVER_NAME requires TEMPORAL_TLS=true');
    expect(message).not.toContain(API_KEY);
  });
});
