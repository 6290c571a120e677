import { StripeEmulatorConfigError, stripeEmulatorOptionsFromEnv } from './emulator-env';

describe('stripeEmulatorOptionsFromEnv', () => {
  it('defaults to port 12180 on 127.0.0.1 with the default key', () => {
    expect(stripeEmulatorOptionsFromEnv({})).toMatchObject({
      host: '127.0.0.1',
      port: 12180,
      accounts: [{ apiKeys: ['sk_test_flexsync_default'] }],
      meters: [],
      autoCreateMeters: false,
    });
  });

  it('makes one account per key and a meter per listed event name', () => {
    const options = stripeEmulatorOptionsFromEnv({
      STRIPE_EMULATOR_PORT: '13000',
      STRIPE_EMULATOR_KEYS: 'sk_test_emulator_a, sk_test_emulator_b',
      STRIPE_EMULATOR_METERS: 'api_calls,tokens',
      STRIPE_EMULATOR_RATE_LIMIT_PER_SECOND: '25',
      STRIPE_EMULATOR_AUTO_CREATE_METERS: 'true',
      STRIPE_EMULATOR_FAULTS: '[{"kind":"latency","latencyMs":20}]',
    });

    expect(options).toMatchObject({
      port: 13000,
      accounts: [{ apiKeys: ['sk_test_emulator_a'] }, { apiKeys: ['sk_test_emulator_b'] }],
      meters: [{ eventName: 'api_calls' }, { eventName: 'tokens' }],
      rateLimitPerSecond: 25,
      autoCreateMeters: true,
      faults: [{ kind: 'latency', latencyMs: 20 }],
    });
  });

  it('adds accounts described as JSON', () => {
    const options = stripeEmulatorOptionsFromEnv({
      STRIPE_EMULATOR_ACCOUNTS: '[{"id":"acct_multi","apiKeys":["sk_test_m1","rk_test_m2"],"meters":[{"eventName":"x"}]}]',
    });

    expect(options.accounts).toEqual([{ id: 'acct_multi', apiKeys: ['sk_test_m1', 'rk_test_m2'], meters: [{ eventName: 'x' }] }]);
  });

  it('reports every invalid variable at once', () => {
    let error: unknown;
    try {
      stripeEmulatorOptionsFromEnv({
        STRIPE_EMULATOR_PORT: 'eighty',
        STRIPE_EMULATOR_RATE_LIMIT_PER_SECOND: '-1',
        STRIPE_EMULATOR_AUTO_CREATE_METERS: 'yes',
        STRIPE_EMULATOR_FAULTS: '[{"kind":"explode"}]',
      });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(StripeEmulatorConfigError);
    expect((error as StripeEmulatorConfigError).problems).toEqual([
      expect.stringContaining('STRIPE_EMULATOR_PORT'),
      expect.stringContaining('STRIPE_EMULATOR_AUTO_CREATE_METERS'),
      expect.stringContaining('STRIPE_EMULATOR_RATE_LIMIT_PER_SECOND'),
      expect.stringContaining('STRIPE_EMULATOR_FAULTS[0]'),
    ]);
  });

  it('reads the v2 meter event session lifetime', () => {
    expect(stripeEmulatorOptionsFromEnv({ STRIPE_EMULATOR_SESSION_TTL_SECONDS: '60' }).sessionTtlSeconds).toBe(60);
    expect(() => stripeEmulatorOptionsFromEnv({ STRIPE_EMULATOR_SESSION_TTL_SECONDS: '0' })).toThrow(/STRIPE_EMULATOR_SESSION_TTL_SECONDS/);
    expect(stripeEmulatorOptionsFromEnv({ STRIPE_EMULATOR_REQUEST_LOG_LIMIT: '1500000' }).requestLogLimit).toBe(1_500_000);
    expect(() => stripeEmulatorOptionsFromEnv({ STRIPE_EMULATOR_REQUEST_LOG_LIMIT: '1.5' })).toThrow(/STRIPE_EMULATOR_REQUEST_LOG_LIMIT/);
  });
});
