import {
  decodeStripeMeterErrorReport,
  encodeStripeMeterErrorReport,
  MAX_METER_ERROR_SAMPLES,
  RejectedMeterErrorReportError,
  stripeMeterErrorReportFromStripeEvent,
} from './stripe-meter-error-reports';

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}

const scope = { tenantId: 'tenant_a', environmentId: 'env_a' };
const identifier = `flexprice_${'a'.repeat(64)}`;

function report(type: string, object: unknown): { id: string; type: string; created: number; livemode: boolean; data: { object: unknown } } {
  return { id: 'evt_report1', type, created: 1_764_000_000, livemode: false, data: { object } };
}

const stripeObject = {
  object: 'v1.billing.meter.error_report',
  meter: 'mtr_123',
  reason: {
    error_count: 40,
    error_types: [
      {
        code: 'meter_event_customer_not_found',
        error_count: 39,
        sample_errors: [
          { error_message: 'No customer cus_x was found.', request: { identifier } },
          { error_message: 'a sample without its request' },
        ],
      },
      { code: 'archived_meter', error_count: 1, sample_errors: [{ error_message: 'The meter was deactivated.', request: { identifier: 'other_id' } }] },
    ],
  },
};

describe('Stripe meter error report messages', () => {
  it('flattens the sampled errors of a report, keeping Stripe’s code, message and the event identifier', () => {
    const message = stripeMeterErrorReportFromStripeEvent(scope, report('v1.billing.meter.error_report_triggered', stripeObject));
    expect(message).toEqual({
      schema_version: 1,
      tenant_id: 'tenant_a',
      environment_id: 'env_a',
      stripe_event_id: 'evt_report1',
      event_type: 'v1.billing.meter.error_report_triggered',
      stripe_created: 1_764_000_000,
      livemode: false,
      meter: 'mtr_123',
      error_count: 40,
      samples: [
        { code: 'meter_event_customer_not_found', message: 'No customer cus_x was found.', identifier },
        { code: 'archived_meter', message: 'The meter was deactivated.', identifier: 'other_id' },
      ],
    });
  });

  it('reads a no_meter_found report (no meter) and keys it per tenant, environment and meter', () => {
    const message = stripeMeterErrorReportFromStripeEvent(scope, report('v1.billing.meter.no_meter_found', { ...stripeObject, meter: null }));
    expect(message?.meter).toBeNull();
    expect(encodeStripeMeterErrorReport(must(message)).key).toBe('tenant_a:env_a:no_meter');
  });

  it('is not a report for other event types or an object without a reason', () => {
    expect(stripeMeterErrorReportFromStripeEvent(scope, report('customer.created', stripeObject))).toBeUndefined();
    expect(stripeMeterErrorReportFromStripeEvent(scope, report('v1.billing.meter.error_report_triggered', { meter: 'mtr_1' }))).toBeUndefined();
  });

  it('bounds the samples a message carries', () => {
    const many = {
      ...stripeObject,
      reason: {
        error_count: 5_000,
        error_types: [{ code: 'x', sample_errors: Array.from({ length: 5_000 }, (_, i) => ({ error_message: 'm', request: { identifier: `id${i}` } })) }],
      },
    };
    expect(stripeMeterErrorReportFromStripeEvent(scope, report('v1.billing.meter.error_report_triggered', many))?.samples).toHaveLength(
      MAX_METER_ERROR_SAMPLES,
    );
  });

  it('round-trips through Kafka and dead-letters what can never be valid', () => {
    const message = stripeMeterErrorReportFromStripeEvent(scope, report('v1.billing.meter.error_report_triggered', stripeObject));
    const encoded = encodeStripeMeterErrorReport(must(message));
    expect(decodeStripeMeterErrorReport(Buffer.from(encoded.value as string))).toEqual(message);
    expect(() => decodeStripeMeterErrorReport(Buffer.from('{'))).toThrow(RejectedMeterErrorReportError);
    expect(() => decodeStripeMeterErrorReport(Buffer.from(JSON.stringify({ ...message, tenant_id: 'bad id' })))).toThrow(/tenant_id/);
    expect(() => decodeStripeMeterErrorReport(Buffer.from(JSON.stringify({ ...message, samples: [{ code: 1 }] })))).toThrow(/samples/);
  });
});
