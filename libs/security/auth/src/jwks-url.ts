import { isIP } from 'node:net';

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * Signing keys fetched over plain http could be swapped by anyone on the path, and with them every token: a JWKS is
 * fetched over https only, except from loopback (a local identity provider, tests), where nothing is on the path.
 */
export function isTrustedJwksUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopback(url.hostname);
}

export const JWKS_URL_RULE = 'an https:// URL (http only on loopback)';
