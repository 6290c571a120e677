export interface StripeHostSettings {
  host: string;
  port: number;
  protocol: 'http' | 'https';
}

/**
 * Turns a base URL (`http://127.0.0.1:12180`, `https://api.stripe.com`) into
 * stripe-node's `host`/`port`/`protocol` settings. A path is refused: Stripe's
 * paths are fixed, so a path would silently be ignored.
 */
export function parseStripeBaseUrl(baseUrl: string): StripeHostSettings {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`invalid Stripe base URL: ${baseUrl}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`Stripe base URL must be http or https: ${baseUrl}`);
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new Error(`Stripe base URL must be scheme, host and port only: ${baseUrl}`);
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  const port = url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port);
  // URL keeps IPv6 brackets; Node's http module wants the bare address.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, protocol };
}
