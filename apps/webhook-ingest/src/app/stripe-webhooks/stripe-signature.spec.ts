import Stripe from 'stripe';
import { verifyStripeSignature } from './stripe-signature';

const SECRET = 'whsec_unit_test_secret_value';
const event = {
  id: 'evt_1',
  object: 'event',
  type: 'customer.created',
  created: 1_764_000_000,
  livemode: false,
  data: { object: { id: 'cus_1', metadata: {} } },
};
const payload = JSON.stringify(event);
const now = (): number => Math.floor(Date.now() / 1000);
const sign = (body: string, secret: string, timestamp = now()): string =>
  Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });

describe('verifyStripeSignature', () => {
  it('returns the whole event when a v1 signature over the exact bytes matches', () => {
    const check = verifyStripeSignature(payload, sign(payload, SECRET), SECRET, 300);
    expect(check).toEqual({ ok: true, event });
  });

  it('accepts a header carrying several v1 signatures when any one matches (secret rolling)', () => {
    const timestamp = now();
    const header = `${sign(payload, 'whsec_old_secret', timestamp)},v1=${sign(payload, SECRET, timestamp).split('v1=')[1]}`;
    expect(verifyStripeSignature(payload, header, SECRET, 300).ok).toBe(true);
  });

  it('rejects a signature made with another secret, or over other bytes, as invalid_signature', () => {
    expect(verifyStripeSignature(payload, sign(payload, 'whsec_other'), SECRET, 300)).toEqual({
      ok: false,
      reason: 'invalid_signature',
    });
    expect(verifyStripeSignature(`${payload} `, sign(payload, SECRET), SECRET, 300)).toEqual({
      ok: false,
      reason: 'invalid_signature',
    });
    expect(verifyStripeSignature(payload, 'garbage', SECRET, 300)).toEqual({ ok: false, reason: 'invalid_signature' });
  });

  it('rejects a valid signature older than the tolerance as stale_timestamp', () => {
    expect(verifyStripeSignature(payload, sign(payload, SECRET, now() - 301), SECRET, 300)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(verifyStripeSignature(payload, sign(payload, SECRET, now() - 299), SECRET, 300).ok).toBe(true);
  });

  it.each([
    ['not an object', '[1,2]'],
    ['without an id', JSON.stringify({ ...event, id: undefined })],
    ['with a non-numeric created', JSON.stringify({ ...event, created: 'yesterday' })],
    ['without data', JSON.stringify({ ...event, data: undefined })],
  ])('rejects a correctly signed body that is %s as invalid_event', (_label, body) => {
    expect(verifyStripeSignature(body, sign(body, SECRET), SECRET, 300)).toEqual({ ok: false, reason: 'invalid_event' });
  });

  it('rejects a correctly signed body that is not JSON as malformed_json, and an unsigned one as invalid_signature', () => {
    const body = '{"id": "evt_1", ';
    expect(verifyStripeSignature(body, sign(body, SECRET), SECRET, 300)).toEqual({ ok: false, reason: 'malformed_json' });
    expect(verifyStripeSignature(body, sign(body, 'whsec_other'), SECRET, 300)).toEqual({ ok: false, reason: 'invalid_signature' });
  });
});
