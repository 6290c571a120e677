import { parseStripeBaseUrl } from './stripe-base-url';

describe('parseStripeBaseUrl', () => {
  it.each([
    ['http://127.0.0.1:12180', { host: '127.0.0.1', port: 12180, protocol: 'http' }],
    ['http://localhost:12111/', { host: 'localhost', port: 12111, protocol: 'http' }],
    ['https://api.stripe.com', { host: 'api.stripe.com', port: 443, protocol: 'https' }],
    ['http://[::1]:9000', { host: '::1', port: 9000, protocol: 'http' }],
  ])('reads %s as stripe-node host settings', (url, settings) => {
    expect(parseStripeBaseUrl(url)).toEqual(settings);
  });

  it.each(['not a url', 'ftp://127.0.0.1:21', 'http://127.0.0.1:12180/v1', 'http://user:pass@127.0.0.1:1'])('refuses %s', (url) => {
    expect(() => parseStripeBaseUrl(url)).toThrow(/Stripe base URL/);
  });
});
