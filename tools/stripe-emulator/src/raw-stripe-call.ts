/**
 * Plain HTTP calls against the emulator for its own tests and for tests that
 * need to send what an SDK would refuse to (malformed or unknown parameters).
 */
export interface RawStripeCall {
  method?: 'GET' | 'POST' | 'DELETE';
  path: string;
  apiKey?: string;
  /** Sent form-encoded (v1); keys are used as given, e.g. `payload[value]`. */
  form?: Record<string, string>;
  /** Sent as JSON (v2 and admin endpoints). */
  json?: unknown;
  headers?: Record<string, string>;
}

export interface RawStripeResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function rawStripeCall(baseUrl: string, call: RawStripeCall): Promise<RawStripeResponse> {
  const headers: Record<string, string> = { ...(call.headers ?? {}) };
  if (call.apiKey !== undefined) {
    headers['Authorization'] = `Bearer ${call.apiKey}`;
  }
  let body: string | undefined;
  if (call.form !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(call.form).toString();
  } else if (call.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(call.json);
  }
  const response = await fetch(`${baseUrl}${call.path}`, {
    method: call.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** The `error` object of a Stripe error response. */
export function errorOf(response: RawStripeResponse): Record<string, unknown> {
  const error = response.body['error'];
  if (typeof error !== 'object' || error === null) {
    throw new Error(`expected an error body, got ${JSON.stringify(response.body)}`);
  }
  return error as Record<string, unknown>;
}
