import type { EmulatorAccount, EmulatorState, MeterEventInput, RecordedMeterEvent, StripeMeter } from './emulator-state';
import { StripeApiError, stripeErrors } from './stripe-api-error';
import { integerParam, objectParam, type ParamFields, type ParamObject, stringMapParam, stringParam } from './request-params';

export interface RouteContext {
  state: EmulatorState;
  account: EmulatorAccount;
  /** v1: decoded form body or query string. */
  params: ParamObject;
  /** v2: parsed JSON body. */
  json: unknown;
  pathParams: string[];
  requestId: string;
  idempotencyKey?: string;
  sessionTtlSeconds: number;
  /** Runs Stripe's asynchronous validation of the events due by now (summaries count only validated events). */
  settleIngestion: () => void;
}

export interface RouteResult {
  status: number;
  body: unknown;
}

export interface StripeRoute {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  api: 'v1' | 'v2';
  auth: 'secret_key' | 'session_token';
  /** Which per-account bucket limits this endpoint, if any. */
  rateLimit?: 'meter_event' | 'stream';
  params?: ParamFields;
  /** Stripe allows one concurrent call per customer and meter; calls sharing a key are serialised. */
  lockKey?: (context: RouteContext) => string | undefined;
  handle: (context: RouteContext) => RouteResult;
}

const EXPAND = { kind: 'string_list' } as const;
const LIST_PARAMS: ParamFields = {
  limit: { kind: 'integer', min: 1, max: 100 },
  starting_after: { kind: 'string' },
  ending_before: { kind: 'string' },
  expand: EXPAND,
};
const FORMULAS = ['sum', 'count', 'last'] as const;

function ok(body: unknown, status = 200): RouteResult {
  return { status, body };
}

/** Stripe list envelope over items already ordered newest first. */
function paginate<T extends { id: string }>(items: T[], params: ParamObject, url: string): RouteResult {
  const limit = integerParam(params, 'limit') ?? 10;
  const startingAfter = stringParam(params, 'starting_after');
  const endingBefore = stringParam(params, 'ending_before');
  let window = items;
  if (startingAfter !== undefined) {
    const index = items.findIndex((item) => item.id === startingAfter);
    if (index < 0) {
      throw stripeErrors.resourceMissing('object', startingAfter, 'starting_after');
    }
    window = items.slice(index + 1);
  } else if (endingBefore !== undefined) {
    const index = items.findIndex((item) => item.id === endingBefore);
    if (index < 0) {
      throw stripeErrors.resourceMissing('object', endingBefore, 'ending_before');
    }
    window = items.slice(Math.max(0, index - limit), index);
    return ok({ object: 'list', data: window, has_more: index - limit > 0, url });
  }
  return ok({ object: 'list', data: window.slice(0, limit), has_more: window.length > limit, url });
}

function newestFirst<T>(values: Iterable<T>): T[] {
  return [...values].reverse();
}

function meterFor(context: RouteContext): StripeMeter {
  const id = context.pathParams[0] ?? '';
  const meter = context.account.meters.get(id);
  if (meter === undefined) {
    throw stripeErrors.resourceMissing('billing meter', id);
  }
  return meter;
}

function meterEventObject(event: RecordedMeterEvent): Record<string, unknown> {
  return {
    object: 'billing.meter_event',
    created: event.created,
    event_name: event.eventName,
    identifier: event.identifier,
    livemode: false,
    payload: event.payload,
    timestamp: event.timestamp,
  };
}

function aggregate(meter: StripeMeter, events: RecordedMeterEvent[]): number {
  switch (meter.default_aggregation.formula) {
    case 'count':
      return events.length;
    case 'last': {
      const last = events.reduce<RecordedMeterEvent | undefined>(
        (latest, event) => (latest === undefined || event.timestamp >= latest.timestamp ? event : latest),
        undefined,
      );
      return last === undefined ? 0 : Number(last.value);
    }
    case 'sum':
      return events.reduce((sum, event) => sum + Number(event.value), 0);
  }
}

function lockKeyForMeterEvent(context: RouteContext): string | undefined {
  const eventName = stringParam(context.params, 'event_name');
  const payload = stringMapParam(context.params, 'payload');
  if (eventName === undefined || payload === undefined) {
    return undefined;
  }
  const meterId = context.account.meterIdByEventName.get(eventName);
  const meter = meterId === undefined ? undefined : context.account.meters.get(meterId);
  const customer = payload[meter?.customer_mapping.event_payload_key ?? 'stripe_customer_id'];
  return customer === undefined ? undefined : `${context.account.id}\u0000${eventName}\u0000${customer}`;
}

function v2InvalidRequest(message: string): StripeApiError {
  return new StripeApiError(400, { type: 'invalid_request_error', code: 'invalid_fields', message });
}

function streamEventInput(raw: unknown, index: number): MeterEventInput {
  const where = `events[${index}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw v2InvalidRequest(`${where} must be an object.`);
  }
  const event = raw as Record<string, unknown>;
  for (const key of Object.keys(event)) {
    if (!['event_name', 'payload', 'identifier', 'timestamp'].includes(key)) {
      throw v2InvalidRequest(`${where}.${key} is not a recognised field.`);
    }
  }
  const { event_name: eventName, payload, identifier, timestamp } = event;
  if (typeof eventName !== 'string' || eventName === '' || eventName.length > 100) {
    throw v2InvalidRequest(`${where}.event_name is required and must be a string of at most 100 characters.`);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw v2InvalidRequest(`${where}.payload is required and must be an object of strings.`);
  }
  const stringPayload: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      throw v2InvalidRequest(`${where}.payload.${key} must be a string.`);
    }
    stringPayload[key] = value;
  }
  if (identifier !== undefined && (typeof identifier !== 'string' || identifier.length > 100)) {
    throw v2InvalidRequest(`${where}.identifier must be a string of at most 100 characters.`);
  }
  let seconds: number | undefined;
  if (timestamp !== undefined) {
    const parsed = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
    if (Number.isNaN(parsed)) {
      throw v2InvalidRequest(`${where}.timestamp must be an RFC 3339 timestamp.`);
    }
    seconds = Math.floor(parsed / 1000);
  }
  return {
    eventName,
    payload: stringPayload,
    ...(typeof identifier === 'string' ? { identifier } : {}),
    ...(seconds === undefined ? {} : { timestamp: seconds }),
  };
}

export const stripeRoutes: StripeRoute[] = [
  {
    name: 'retrieve_balance',
    method: 'GET',
    pattern: /^\/v1\/balance$/,
    api: 'v1',
    auth: 'secret_key',
    params: { expand: EXPAND },
    handle: () =>
      ok({
        object: 'balance',
        available: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
        connect_reserved: [{ amount: 0, currency: 'usd' }],
        livemode: false,
        pending: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
      }),
  },
  {
    // Stripe's Account object carries no livemode; the mode comes from the balance (or the key).
    name: 'retrieve_account',
    method: 'GET',
    pattern: /^\/v1\/account$/,
    api: 'v1',
    auth: 'secret_key',
    params: { expand: EXPAND },
    handle: (context) => ok({ id: context.account.id, object: 'account', type: 'standard' }),
  },
  {
    name: 'create_meter',
    method: 'POST',
    pattern: /^\/v1\/billing\/meters$/,
    api: 'v1',
    auth: 'secret_key',
    params: {
      display_name: { kind: 'string', required: true, maxLength: 250 },
      event_name: { kind: 'string', required: true, maxLength: 100 },
      default_aggregation: {
        kind: 'object',
        required: true,
        fields: { formula: { kind: 'string', required: true, oneOf: FORMULAS } },
      },
      customer_mapping: {
        kind: 'object',
        fields: {
          event_payload_key: { kind: 'string', required: true, maxLength: 100 },
          type: { kind: 'string', required: true, oneOf: ['by_id'] },
        },
      },
      value_settings: {
        kind: 'object',
        fields: { event_payload_key: { kind: 'string', required: true, maxLength: 100 } },
      },
      event_time_window: { kind: 'string', oneOf: ['hour', 'day'] },
      expand: EXPAND,
    },
    handle: (context) => {
      const { params } = context;
      const formula = stringParam(objectParam(params, 'default_aggregation') ?? {}, 'formula') as (typeof FORMULAS)[number] | undefined;
      const customerKey = stringParam(objectParam(params, 'customer_mapping') ?? {}, 'event_payload_key');
      const valueKey = stringParam(objectParam(params, 'value_settings') ?? {}, 'event_payload_key');
      const window = stringParam(params, 'event_time_window') as 'hour' | 'day' | undefined;
      const meter = context.state.createMeter(context.account, {
        eventName: stringParam(params, 'event_name') ?? '',
        displayName: stringParam(params, 'display_name') ?? '',
        ...(formula === undefined ? {} : { formula }),
        ...(customerKey === undefined ? {} : { customerPayloadKey: customerKey }),
        ...(valueKey === undefined ? {} : { valuePayloadKey: valueKey }),
        ...(window === undefined ? {} : { eventTimeWindow: window }),
      });
      return ok(meter);
    },
  },
  {
    name: 'list_meters',
    method: 'GET',
    pattern: /^\/v1\/billing\/meters$/,
    api: 'v1',
    auth: 'secret_key',
    params: { ...LIST_PARAMS, status: { kind: 'string', oneOf: ['active', 'inactive'] } },
    handle: (context) => {
      const status = stringParam(context.params, 'status');
      const meters = newestFirst(context.account.meters.values()).filter((meter) => status === undefined || meter.status === status);
      return paginate(meters, context.params, '/v1/billing/meters');
    },
  },
  {
    name: 'retrieve_meter',
    method: 'GET',
    pattern: /^\/v1\/billing\/meters\/([^/]+)$/,
    api: 'v1',
    auth: 'secret_key',
    params: { expand: EXPAND },
    handle: (context) => ok(meterFor(context)),
  },
  {
    name: 'update_meter',
    method: 'POST',
    pattern: /^\/v1\/billing\/meters\/([^/]+)$/,
    api: 'v1',
    auth: 'secret_key',
    params: { display_name: { kind: 'string', maxLength: 250 }, expand: EXPAND },
    handle: (context) => {
      const meter = meterFor(context);
      const displayName = stringParam(context.params, 'display_name');
      if (displayName !== undefined) {
        meter.display_name = displayName;
        meter.updated = context.state.nowSeconds();
      }
      return ok(meter);
    },
  },
  {
    name: 'deactivate_meter',
    method: 'POST',
    pattern: /^\/v1\/billing\/meters\/([^/]+)\/deactivate$/,
    api: 'v1',
    auth: 'secret_key',
    params: { expand: EXPAND },
    handle: (context) => ok(context.state.setMeterStatus(meterFor(context), 'inactive')),
  },
  {
    name: 'reactivate_meter',
    method: 'POST',
    pattern: /^\/v1\/billing\/meters\/([^/]+)\/reactivate$/,
    api: 'v1',
    auth: 'secret_key',
    params: { expand: EXPAND },
    handle: (context) => ok(context.state.setMeterStatus(meterFor(context), 'active')),
  },
  {
    name: 'list_meter_event_summaries',
    method: 'GET',
    pattern: /^\/v1\/billing\/meters\/([^/]+)\/event_summaries$/,
    api: 'v1',
    auth: 'secret_key',
    params: {
      ...LIST_PARAMS,
      customer: { kind: 'string', required: true },
      start_time: { kind: 'integer', required: true },
      end_time: { kind: 'integer', required: true },
      value_grouping_window: { kind: 'string', oneOf: ['hour', 'day'] },
    },
    handle: (context) => {
      const meter = meterFor(context);
      const customer = stringParam(context.params, 'customer') ?? '';
      const start = integerParam(context.params, 'start_time') ?? 0;
      const end = integerParam(context.params, 'end_time') ?? 0;
      const grouping = stringParam(context.params, 'value_grouping_window');
      if (start >= end) {
        throw stripeErrors.invalidRequest('start_time must be before end_time.', 'start_time');
      }
      const step = grouping === 'hour' ? 3600 : grouping === 'day' ? 86400 : 60;
      for (const [name, value] of [
        ['start_time', start],
        ['end_time', end],
      ] as const) {
        if (value % step !== 0) {
          throw stripeErrors.invalidRequest(`${name} must be aligned to ${grouping === undefined ? 'minute' : grouping} boundaries.`, name);
        }
      }
      context.settleIngestion();
      const events = context.state
        .meterEvents({ account: context.account.id, customer })
        .filter(
          (event) =>
            event.ingestion === 'counted' && event.meterId === meter.id && event.timestamp >= start && event.timestamp < end,
        );
      const buckets: Array<[number, number]> = [];
      if (grouping === undefined) {
        buckets.push([start, end]);
      } else {
        for (let bucketStart = start; bucketStart < end; bucketStart += step) {
          buckets.push([bucketStart, Math.min(bucketStart + step, end)]);
        }
      }
      const summaries = buckets
        .map(([bucketStart, bucketEnd]) => ({
          id: `mtrusg_test_${meter.id.slice(-8)}${bucketStart}`,
          object: 'billing.meter_event_summary',
          aggregated_value: aggregate(
            meter,
            events.filter((event) => event.timestamp >= bucketStart && event.timestamp < bucketEnd),
          ),
          end_time: bucketEnd,
          livemode: false,
          meter: meter.id,
          start_time: bucketStart,
        }))
        .reverse();
      return paginate(summaries, context.params, `/v1/billing/meters/${meter.id}/event_summaries`);
    },
  },
  {
    name: 'create_meter_event',
    method: 'POST',
    pattern: /^\/v1\/billing\/meter_events$/,
    api: 'v1',
    auth: 'secret_key',
    rateLimit: 'meter_event',
    params: {
      event_name: { kind: 'string', required: true, maxLength: 100 },
      payload: { kind: 'string_map', required: true },
      identifier: { kind: 'string', maxLength: 100 },
      timestamp: { kind: 'integer' },
      expand: EXPAND,
    },
    lockKey: lockKeyForMeterEvent,
    handle: (context) => {
      const identifier = stringParam(context.params, 'identifier');
      const timestamp = integerParam(context.params, 'timestamp');
      const input: MeterEventInput = {
        eventName: stringParam(context.params, 'event_name') ?? '',
        payload: stringMapParam(context.params, 'payload') ?? {},
        ...(identifier === undefined ? {} : { identifier }),
        ...(timestamp === undefined ? {} : { timestamp }),
      };
      const checked = context.state.checkMeterEvent(context.account, input);
      if (!('meter' in checked)) {
        throw stripeErrors.invalidRequest(checked.message, checked.param);
      }
      if (identifier !== undefined && context.state.duplicateOf(context.account, identifier) !== undefined) {
        throw stripeErrors.duplicateMeterEvent(identifier);
      }
      const event = context.state.recordMeterEvent(context.account, checked.meter, input, {
        source: 'v1',
        requestId: context.requestId,
        ...(context.idempotencyKey === undefined ? {} : { idempotencyKey: context.idempotencyKey }),
      });
      return ok(meterEventObject(event));
    },
  },
  {
    name: 'create_meter_event_adjustment',
    method: 'POST',
    pattern: /^\/v1\/billing\/meter_event_adjustments$/,
    api: 'v1',
    auth: 'secret_key',
    params: {
      event_name: { kind: 'string', required: true, maxLength: 100 },
      type: { kind: 'string', required: true, oneOf: ['cancel'] },
      cancel: { kind: 'object', fields: { identifier: { kind: 'string', maxLength: 100 } } },
      expand: EXPAND,
    },
    handle: (context) => {
      const eventName = stringParam(context.params, 'event_name') ?? '';
      const identifier = stringParam(objectParam(context.params, 'cancel') ?? {}, 'identifier');
      if (identifier === undefined) {
        throw stripeErrors.parameterMissing('cancel[identifier]');
      }
      context.state.cancelMeterEvent(context.account, eventName, identifier);
      return ok({
        object: 'billing.meter_event_adjustment',
        cancel: { identifier },
        event_name: eventName,
        livemode: false,
        status: 'complete',
        type: 'cancel',
      });
    },
  },
  {
    name: 'create_customer',
    method: 'POST',
    pattern: /^\/v1\/customers$/,
    api: 'v1',
    auth: 'secret_key',
    params: {
      email: { kind: 'string', maxLength: 512 },
      name: { kind: 'string', maxLength: 256 },
      description: { kind: 'string' },
      phone: { kind: 'string', maxLength: 20 },
      metadata: { kind: 'string_map' },
      expand: EXPAND,
    },
    handle: (context) => {
      const { params } = context;
      const fields = {
        email: stringParam(params, 'email'),
        name: stringParam(params, 'name'),
        description: stringParam(params, 'description'),
        phone: stringParam(params, 'phone'),
        metadata: stringMapParam(params, 'metadata'),
      };
      return ok(
        context.state.createCustomer(
          context.account,
          Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)),
        ),
      );
    },
  },
  {
    name: 'list_customers',
    method: 'GET',
    pattern: /^\/v1\/customers$/,
    api: 'v1',
    auth: 'secret_key',
    params: { ...LIST_PARAMS, email: { kind: 'string' } },
    handle: (context) => {
      const email = stringParam(context.params, 'email');
      const customers = newestFirst(context.account.customers.values()).filter(
        (customer) => email === undefined || customer.email === email,
      );
      return paginate(customers, context.params, '/v1/customers');
    },
  },
  {
    name: 'retrieve_customer',
    method: 'GET',
    pattern: /^\/v1\/customers\/([^/]+)$/,
    api: 'v1',
    auth: 'secret_key',
    params: { expand: EXPAND },
    handle: (context) => {
      const id = context.pathParams[0] ?? '';
      const customer = context.account.customers.get(id);
      if (customer === undefined) {
        throw stripeErrors.resourceMissing('customer', id);
      }
      return ok(customer);
    },
  },
  {
    name: 'update_customer',
    method: 'POST',
    pattern: /^\/v1\/customers\/([^/]+)$/,
    api: 'v1',
    auth: 'secret_key',
    params: {
      email: { kind: 'string', maxLength: 512 },
      name: { kind: 'string', maxLength: 256 },
      description: { kind: 'string' },
      phone: { kind: 'string', maxLength: 20 },
      metadata: { kind: 'string_map' },
      expand: EXPAND,
    },
    handle: (context) => {
      const id = context.pathParams[0] ?? '';
      const customer = context.account.customers.get(id);
      if (customer === undefined) {
        throw stripeErrors.resourceMissing('customer', id);
      }
      const { params } = context;
      customer.email = stringParam(params, 'email') ?? customer.email;
      customer.name = stringParam(params, 'name') ?? customer.name;
      customer.description = stringParam(params, 'description') ?? customer.description;
      customer.phone = stringParam(params, 'phone') ?? customer.phone;
      // Stripe unsets a metadata key when it is sent with an empty value.
      for (const [key, value] of Object.entries(stringMapParam(params, 'metadata') ?? {})) {
        if (value === '') {
          delete customer.metadata[key];
        } else {
          customer.metadata[key] = value;
        }
      }
      return ok(customer);
    },
  },
  {
    name: 'delete_customer',
    method: 'DELETE',
    pattern: /^\/v1\/customers\/([^/]+)$/,
    api: 'v1',
    auth: 'secret_key',
    params: {},
    handle: (context) => {
      const id = context.pathParams[0] ?? '';
      if (!context.account.customers.delete(id)) {
        throw stripeErrors.resourceMissing('customer', id);
      }
      return ok({ id, object: 'customer', deleted: true });
    },
  },
  {
    name: 'create_meter_event_session',
    method: 'POST',
    pattern: /^\/v2\/billing\/meter_event_session$/,
    api: 'v2',
    auth: 'secret_key',
    handle: (context) => {
      if (context.json !== undefined && (typeof context.json !== 'object' || Object.keys(context.json ?? {}).length > 0)) {
        throw v2InvalidRequest('This endpoint takes no parameters.');
      }
      const session = context.state.createSession(context.account, context.sessionTtlSeconds);
      return ok({
        id: session.id,
        object: 'v2.billing.meter_event_session',
        authentication_token: session.token,
        created: new Date(session.createdMs).toISOString(),
        expires_at: new Date(session.expiresAtMs).toISOString(),
        livemode: false,
      });
    },
  },
  {
    name: 'create_meter_event_stream',
    method: 'POST',
    pattern: /^\/v2\/billing\/meter_event_stream$/,
    api: 'v2',
    auth: 'session_token',
    rateLimit: 'stream',
    handle: (context) => {
      const body = context.json;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw v2InvalidRequest('The request body must be a JSON object with an `events` array.');
      }
      const events = (body as Record<string, unknown>)['events'];
      if (!Array.isArray(events) || events.length === 0) {
        throw v2InvalidRequest('events is required and must be a non-empty array.');
      }
      if (events.length > 100) {
        throw v2InvalidRequest(`events supports up to 100 events per request; got ${events.length}.`);
      }
      const inputs = events.map((event, index) => streamEventInput(event, index));
      // Stripe validates stream events asynchronously: the request is accepted and
      // bad events are dropped and reported later, which the emulator records.
      for (const [index, input] of inputs.entries()) {
        const checked = context.state.checkMeterEvent(context.account, input);
        if (!('meter' in checked)) {
          context.state.recordStreamRejection(context.account, checked.code, checked.message, events[index], input);
          continue;
        }
        if (input.identifier !== undefined && context.state.duplicateOf(context.account, input.identifier) !== undefined) {
          context.state.recordStreamRejection(
            context.account,
            'duplicate_meter_event',
            `An event already exists with identifier ${input.identifier}.`,
            events[index],
            input,
          );
          continue;
        }
        context.state.recordMeterEvent(context.account, checked.meter, input, {
          source: 'v2_stream',
          requestId: context.requestId,
          ...(context.idempotencyKey === undefined ? {} : { idempotencyKey: context.idempotencyKey }),
        });
      }
      return ok({}, 202);
    },
  },
];

export interface MatchedRoute {
  route: StripeRoute;
  pathParams: string[];
}

export function matchRoute(method: string, path: string): MatchedRoute | undefined {
  for (const route of stripeRoutes) {
    if (route.method !== method) {
      continue;
    }
    const match = route.pattern.exec(path);
    if (match !== null) {
      return { route, pathParams: match.slice(1).map((part) => decodeURIComponent(part)) };
    }
  }
  return undefined;
}
