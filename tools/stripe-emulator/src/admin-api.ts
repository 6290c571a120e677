import { isRecord } from '@flexsync/runtime';
import {
  ControlInputError,
  optionalNumber,
  optionalString,
  parseAccountSeed,
  parseFaultRule,
  parseIngestionSettings,
  parseJson,
  parseMeterSeed,
  parseWebhookDelivery,
  requireRecord,
} from './control-input';
import type { StripeEmulatorControl } from './stripe-emulator';

export interface AdminResult {
  status: number;
  body: unknown;
}

function queryFilter(query: URLSearchParams): { account?: string; pathPrefix?: string } {
  const account = query.get('account') ?? undefined;
  const pathPrefix = query.get('path_prefix') ?? undefined;
  return {
    ...(account === undefined ? {} : { account }),
    ...(pathPrefix === undefined ? {} : { pathPrefix }),
  };
}

async function route(
  control: StripeEmulatorControl,
  method: string,
  path: string,
  query: URLSearchParams,
  rawBody: string,
): Promise<AdminResult> {
  const endpoint = `${method} ${path.replace(/\/+$/, '')}`;
  switch (endpoint) {
    case 'GET /__admin/health':
      return { status: 200, body: { status: 'ok' } };
    case 'GET /__admin/accounts':
      return { status: 200, body: { data: control.accounts() } };
    case 'POST /__admin/accounts': {
      const body = parseJson(rawBody);
      const seeds = isRecord(body) && Array.isArray(body['accounts']) ? body['accounts'] : [body];
      const created = seeds.map((seed) => control.addAccount(parseAccountSeed(seed)));
      return { status: 200, body: { data: created } };
    }
    case 'POST /__admin/meters': {
      const body = requireRecord(parseJson(rawBody), 'body');
      const account = optionalString(body, 'account');
      if (account === undefined) {
        throw new ControlInputError(400, 'account is required');
      }
      return { status: 200, body: control.addMeter(account, parseMeterSeed(body)) };
    }
    case 'GET /__admin/meter-events': {
      const account = query.get('account') ?? undefined;
      const customer = query.get('customer') ?? undefined;
      const eventName = query.get('event_name') ?? undefined;
      const data = control.meterEvents({
        includeCancelled: query.get('include_cancelled') === 'true',
        ...(account === undefined ? {} : { account }),
        ...(customer === undefined ? {} : { customer }),
        ...(eventName === undefined ? {} : { eventName }),
      });
      return { status: 200, body: { data } };
    }
    case 'GET /__admin/totals':
      return { status: 200, body: { data: control.totals(query.get('account') ?? undefined) } };
    case 'GET /__admin/requests': {
      const filter = queryFilter(query);
      return { status: 200, body: { counts: control.requestCounts(filter), data: control.requests(filter) } };
    }
    case 'GET /__admin/stream-rejections':
      return { status: 200, body: { data: control.streamRejections(query.get('account') ?? undefined) } };
    case 'POST /__admin/reset':
      control.reset();
      return { status: 200, body: { status: 'reset' } };
    case 'GET /__admin/faults':
      return { status: 200, body: { data: control.faults() } };
    case 'POST /__admin/faults': {
      const body = parseJson(rawBody);
      const inputs = isRecord(body) && Array.isArray(body['faults']) ? body['faults'] : [body];
      if (isRecord(body) && body['replace'] === true) {
        control.clearFaults();
      }
      const rules = inputs.map((input) => parseFaultRule(input));
      return { status: 200, body: { data: rules.map((rule) => control.injectFault(rule)) } };
    }
    case 'DELETE /__admin/faults':
      control.clearFaults();
      return { status: 200, body: { data: [] } };
    case 'GET /__admin/clock':
      return { status: 200, body: { nowMs: control.now(), offsetMs: control.clockOffsetMs() } };
    case 'POST /__admin/clock': {
      const body = requireRecord(parseJson(rawBody), 'body');
      const advanceMs = optionalNumber(body, 'advanceMs');
      if (advanceMs === undefined) {
        throw new ControlInputError(400, 'advanceMs is required');
      }
      control.advanceClock(advanceMs);
      return { status: 200, body: { nowMs: control.now(), offsetMs: control.clockOffsetMs() } };
    }
    case 'POST /__admin/rate-limit': {
      const body = requireRecord(parseJson(rawBody), 'body');
      const perSecond = optionalNumber(body, 'perSecond');
      if (perSecond === undefined || perSecond <= 0) {
        throw new ControlInputError(400, 'perSecond must be a positive number');
      }
      control.setRateLimit(perSecond, optionalString(body, 'account'));
      return { status: 200, body: { data: control.accounts().map(({ id, rateLimitPerSecond }) => ({ id, rateLimitPerSecond })) } };
    }
    case 'GET /__admin/ingestion':
      return { status: 200, body: control.ingestion() };
    case 'POST /__admin/ingestion':
      return { status: 200, body: control.configureIngestion(parseIngestionSettings(parseJson(rawBody))) };
    case 'POST /__admin/ingestion/settle':
      return { status: 200, body: { data: await control.settleIngestion() } };
    case 'GET /__admin/error-reports':
      return { status: 200, body: { data: control.errorReports() } };
    case 'POST /__admin/webhooks': {
      const delivery = parseWebhookDelivery(parseJson(rawBody));
      try {
        return { status: 200, body: await control.sendWebhook(delivery) };
      } catch (error) {
        throw new ControlInputError(502, `webhook delivery failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    default: {
      const faultMatch = /^DELETE \/__admin\/faults\/([^/]+)$/.exec(endpoint);
      if (faultMatch !== null) {
        const removed = control.removeFault(decodeURIComponent(faultMatch[1] ?? ''));
        return removed ? { status: 200, body: { deleted: true } } : { status: 404, body: { error: { message: 'no such fault' } } };
      }
      return { status: 404, body: { error: { message: `no admin endpoint ${endpoint}` } } };
    }
  }
}

/** The `/__admin` API: test-only state, fault and webhook controls. Never part of Stripe's surface. */
export async function handleAdminRequest(
  control: StripeEmulatorControl,
  method: string,
  path: string,
  query: URLSearchParams,
  rawBody: string,
): Promise<AdminResult> {
  try {
    return await route(control, method, path, query, rawBody);
  } catch (error) {
    const status = error instanceof ControlInputError ? error.status : 400;
    const message = error instanceof Error ? error.message : String(error);
    return { status, body: { error: { message } } };
  }
}
