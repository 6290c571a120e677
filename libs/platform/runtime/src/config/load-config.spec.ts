import { IsNotEmpty, IsString } from 'class-validator';
import { ServiceBaseConfig } from './config-fields';
import { ConfigValidationError, loadConfig } from './load-config';

class ExampleConfig extends ServiceBaseConfig {
  override PORT = 8000;

  @IsString()
  @IsNotEmpty()
  SECRET_TOKEN!: string;
}

describe('loadConfig', () => {
  it('keeps the base class validation when a subclass only changes a default', () => {
    expect(() =>
      loadConfig('example', ExampleConfig, { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', SECRET_TOKEN: 's', PORT: '70000' }),
    ).toThrow(/PORT/);
  });

  it('returns typed values with defaults and integer conversion', () => {
    const config = loadConfig('example', ExampleConfig, {
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      SECRET_TOKEN: 's3cr3t',
      PORT: '9001',
    });
    expect(config.PORT).toBe(9001);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.LOG_LEVEL).toBe('info');
  });

  it('reports every bad key at once and never echoes a value', () => {
    let caught: unknown;
    try {
      loadConfig('example', ExampleConfig, { DATABASE_URL: 'mysql://secret-password@host/db', PORT: '99999', LOG_LEVEL: 'loud' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigValidationError);
    const error = caught as ConfigValidationError;
    expect(error.problems.map((p) => p.key).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'SECRET_TOKEN']);
    expect(error.message).not.toContain('secret-password');
  });
});
