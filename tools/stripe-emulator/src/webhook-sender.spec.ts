import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { rawStripeCall } from './raw-stripe-call';
import { startStripeEmulator } from './stripe-emulator';
import { buildCustomerObject, sendStripeWebhook, signStripePayload } from './webhook-sender';

const SECRET = 'whsec_emulator_test_secret_0123456789';
const OLD_SECRET = 'whsec_emulator_previous_secret_9876543210';

interface Received {
  body: string;
  signature: string;
}

describe('webhook sender', () => {
  let receiver: Server;
  let url: string;
  let received: Received[];

  beforeEach(async () => {
    received = [];
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(request.headers['stripe-signature']) });
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end('{"received":true}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/stripe/tenant-1/env-1`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it("signs a customer.created event so stripe-node's constructEvent verifies it", async () => {
    const result = await sendStripeWebhook({
      url,
      secret: SECRET,
      type: 'customer.created',
      object: buildCustomerObject({ id: 'cus_webhook', metadata: { flexprice_customer_id: 'fx_42' } }),
    });

    const delivery = received[0] as Received;
    const event = Stripe.webhooks.constructEvent(delivery.body, delivery.signature, SECRET);

    expect(result).toMatchObject({ status: 200, body: '{"received":true}' });
    expect(event).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      object: 'event',
      type: 'customer.created',
      livemode: false,
      api_version: expect.any(String),
      data: { object: { id: 'cus_webhook', object: 'customer', metadata: { flexprice_customer_id: 'fx_42' } } },
    });
    expect(event.id).toBe(result.event.id);
  });

  it('adds one v1 signature per secret so either secret verifies during a rotation', async () => {
    await sendStripeWebhook({
      url,
      secrets: [SECRET, OLD_SECRET],
      type: 'customer.updated',
      object: buildCustomerObject({ id: 'cus_rotating' }),
    });
    const delivery = received[0] as Received;

    expect(delivery.signature.match(/v1=/g)).toHaveLength(2);
    expect(Stripe.webhooks.constructEvent(delivery.body, delivery.signature, SECRET).type).toBe('customer.updated');
    expect(Stripe.webhooks.constructEvent(delivery.body, delivery.signature, OLD_SECRET).type).toBe('customer.updated');
  });

  it('signs with an overridden timestamp, which stripe-node rejects outside its tolerance', async () => {
    await sendStripeWebhook({
      url,
      secret: SECRET,
      signatureTimestamp: Math.floor(Date.now() / 1000) - 600,
      type: 'customer.created',
      object: buildCustomerObject({}),
    });
    const delivery = received[0] as Received;

    expect(() => Stripe.webhooks.constructEvent(delivery.body, delivery.signature, SECRET)).toThrow(/tolerance/i);
  });

  it('produces the same header as stripe-node for the same payload, secret and timestamp', () => {
    const payload = JSON.stringify({ id: 'evt_same', object: 'event' });
    const timestamp = 1_790_000_000;

    expect(signStripePayload(payload, [SECRET], timestamp)).toBe(
      Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp }),
    );
  });

  it('fails a signature made with another secret', async () => {
    await sendStripeWebhook({ url, secret: 'whsec_somebody_else', type: 'customer.created', object: buildCustomerObject({}) });
    const delivery = received[0] as Received;

    expect(() => Stripe.webhooks.constructEvent(delivery.body, delivery.signature, SECRET)).toThrow();
  });

  it('sends a webhook through the admin endpoint and reports the receiver answer', async () => {
    const emulator = await startStripeEmulator();
    try {
      const response = await rawStripeCall(emulator.url, {
        path: '/__admin/webhooks',
        json: {
          url,
          secret: SECRET,
          type: 'customer.created',
          object: buildCustomerObject({ id: 'cus_admin', metadata: { flexprice_customer_id: 'fx_7' } }),
        },
      });
      const delivery = received[0] as Received;

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ status: 200, event: { type: 'customer.created' } });
      expect(Stripe.webhooks.constructEvent(delivery.body, delivery.signature, SECRET).data.object).toMatchObject({
        id: 'cus_admin',
      });
    } finally {
      await emulator.close();
    }
  });
});
