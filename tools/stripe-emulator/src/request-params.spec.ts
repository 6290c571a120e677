import { canonicalParams, parseFormParams, validateParams } from './request-params';
import { StripeApiError } from './stripe-api-error';

function rejection(run: () => void): StripeApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof StripeApiError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a StripeApiError');
}

describe('request params', () => {
  it("decodes Stripe's bracketed form encoding into nested objects and lists", () => {
    const params = parseFormParams(
      'event_name=api+calls&payload[stripe_customer_id]=cus_1&payload[value]=5&expand[]=a&expand[]=b&metadata[note]=50%25',
    );

    expect(params).toEqual({
      event_name: 'api calls',
      payload: { stripe_customer_id: 'cus_1', value: '5' },
      expand: ['a', 'b'],
      metadata: { note: '50%' },
    });
  });

  it('reports an unknown nested parameter by its full name', () => {
    const error = rejection(() =>
      validateParams(parseFormParams('cancel[identifier]=x&cancel[reason]=y'), {
        cancel: { kind: 'object', fields: { identifier: { kind: 'string' } } },
      }),
    );

    expect(error.body).toMatchObject({ code: 'parameter_unknown', param: 'cancel[reason]' });
  });

  it('reports unknown parameters before missing ones', () => {
    const error = rejection(() =>
      validateParams(parseFormParams('foo=1'), { event_name: { kind: 'string', required: true } }),
    );

    expect(error.body.code).toBe('parameter_unknown');
  });

  it('reports a missing nested required parameter', () => {
    const error = rejection(() =>
      validateParams(parseFormParams('default_aggregation[x]=1'), {
        default_aggregation: {
          kind: 'object',
          required: true,
          fields: { formula: { kind: 'string', required: true }, x: { kind: 'string' } },
        },
      }),
    );

    expect(error.body).toMatchObject({ code: 'parameter_missing', param: 'default_aggregation[formula]' });
  });

  it('gives the same canonical text for the same params in any order', () => {
    expect(canonicalParams(parseFormParams('a=1&b[c]=2&b[d]=3'))).toBe(canonicalParams(parseFormParams('b[d]=3&a=1&b[c]=2')));
    expect(canonicalParams({ a: '1' })).not.toBe(canonicalParams({ a: '2' }));
  });
});
