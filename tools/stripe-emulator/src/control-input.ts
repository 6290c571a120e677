import { isRecord } from '@flexsync/runtime';
import type { EmulatorAccountSeed, EmulatorMeterSeed, MeterFormula, MeterStatus } from './emulator-state';
import { type FaultRuleInput, validateFaultRule } from './fault-injector';
import type { ErrorReportTarget } from './meter-error-reports';
import type { StripeWebhookDelivery } from './webhook-sender';

/** Parsing of JSON control input (admin API bodies and env variables) into typed seeds. */
export class ControlInputError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function parseJson(body: string): unknown {
  if (body.trim() === '') {
    return {};
  }
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new ControlInputError(400, 'body must be JSON');
  }
}

export function requireRecord(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) {
    throw new ControlInputError(400, `${what} must be a JSON object`);
  }
  return value;
}

export function optionalString(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new ControlInputError(400, `${key} must be a string`);
  }
  return value;
}

export function optionalNumber(record: Record<string, unknown>, key: string): number | undefined {
  const value = record[key];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ControlInputError(400, `${key} must be a number`);
  }
  return value;
}

export function parseMeterSeed(value: unknown): EmulatorMeterSeed {
  const record = requireRecord(value, 'meter');
  const eventName = optionalString(record, 'eventName');
  if (eventName === undefined || eventName === '') {
    throw new ControlInputError(400, 'meter.eventName is required');
  }
  const formula = optionalString(record, 'formula');
  if (formula !== undefined && !['sum', 'count', 'last'].includes(formula)) {
    throw new ControlInputError(400, 'meter.formula must be sum, count or last');
  }
  const status = optionalString(record, 'status');
  if (status !== undefined && !['active', 'inactive'].includes(status)) {
    throw new ControlInputError(400, 'meter.status must be active or inactive');
  }
  const seed: EmulatorMeterSeed = { eventName };
  const id = optionalString(record, 'id');
  const displayName = optionalString(record, 'displayName');
  const customerPayloadKey = optionalString(record, 'customerPayloadKey');
  const valuePayloadKey = optionalString(record, 'valuePayloadKey');
  if (id !== undefined) seed.id = id;
  if (displayName !== undefined) seed.displayName = displayName;
  if (formula !== undefined) seed.formula = formula as MeterFormula;
  if (status !== undefined) seed.status = status as MeterStatus;
  if (customerPayloadKey !== undefined) seed.customerPayloadKey = customerPayloadKey;
  if (valuePayloadKey !== undefined) seed.valuePayloadKey = valuePayloadKey;
  return seed;
}

export function parseAccountSeed(value: unknown): EmulatorAccountSeed {
  const record = requireRecord(value, 'account');
  const apiKeys = record['apiKeys'];
  if (!Array.isArray(apiKeys) || apiKeys.some((key) => typeof key !== 'string' || key === '')) {
    throw new ControlInputError(400, 'account.apiKeys must be an array of non-empty strings');
  }
  const meters = record['meters'];
  if (meters !== undefined && !Array.isArray(meters)) {
    throw new ControlInputError(400, 'account.meters must be an array');
  }
  const seed: EmulatorAccountSeed = { apiKeys: apiKeys as string[] };
  const id = optionalString(record, 'id');
  const rate = optionalNumber(record, 'rateLimitPerSecond');
  if (id !== undefined) seed.id = id;
  if (rate !== undefined) seed.rateLimitPerSecond = rate;
  if (Array.isArray(meters)) seed.meters = meters.map(parseMeterSeed);
  return seed;
}

export function parseFaultRule(value: unknown): FaultRuleInput {
  const record = requireRecord(value, 'fault');
  const kind = optionalString(record, 'kind');
  if (kind !== 'status' && kind !== 'latency' && kind !== 'drop') {
    throw new ControlInputError(400, 'fault.kind must be status, latency or drop');
  }
  const rule: FaultRuleInput = { kind };
  const status = optionalNumber(record, 'status');
  const latencyMs = optionalNumber(record, 'latencyMs');
  const times = optionalNumber(record, 'times');
  const rate = optionalNumber(record, 'rate');
  const pathPrefix = optionalString(record, 'pathPrefix');
  const method = optionalString(record, 'method');
  const account = optionalString(record, 'account');
  const shouldRetry = record['shouldRetry'];
  if (status !== undefined) rule.status = status;
  if (latencyMs !== undefined) rule.latencyMs = latencyMs;
  if (times !== undefined) rule.times = times;
  if (rate !== undefined) rule.rate = rate;
  if (pathPrefix !== undefined) rule.pathPrefix = pathPrefix;
  if (method !== undefined) rule.method = method;
  if (account !== undefined) rule.account = account;
  if (typeof shouldRetry === 'boolean') rule.shouldRetry = shouldRetry;
  const problem = validateFaultRule(rule);
  if (problem !== undefined) {
    throw new ControlInputError(400, problem);
  }
  return rule;
}

export function parseWebhookDelivery(value: unknown): StripeWebhookDelivery {
  const record = requireRecord(value, 'webhook');
  const url = optionalString(record, 'url');
  const type = optionalString(record, 'type');
  const object = record['object'];
  if (url === undefined || type === undefined || !isRecord(object)) {
    throw new ControlInputError(400, 'webhook needs url, type and object');
  }
  const secrets = record['secrets'];
  if (secrets !== undefined && (!Array.isArray(secrets) || secrets.some((secret) => typeof secret !== 'string'))) {
    throw new ControlInputError(400, 'webhook.secrets must be an array of strings');
  }
  const secret = optionalString(record, 'secret');
  if (secret === undefined && secrets === undefined) {
    throw new ControlInputError(400, 'webhook needs secret or secrets');
  }
  const delivery: StripeWebhookDelivery = { url, type, object };
  const previousAttributes = record['previousAttributes'];
  const id = optionalString(record, 'id');
  const created = optionalNumber(record, 'created');
  const signatureTimestamp = optionalNumber(record, 'signatureTimestamp');
  const apiVersion = optionalString(record, 'apiVersion');
  const account = optionalString(record, 'account');
  if (secret !== undefined) delivery.secret = secret;
  if (Array.isArray(secrets)) delivery.secrets = secrets as string[];
  if (isRecord(previousAttributes)) delivery.previousAttributes = previousAttributes;
  if (id !== undefined) delivery.id = id;
  if (created !== undefined) delivery.created = created;
  if (signatureTimestamp !== undefined) delivery.signatureTimestamp = signatureTimestamp;
  if (apiVersion !== undefined) delivery.apiVersion = apiVersion;
  if (account !== undefined) delivery.account = account;
  return delivery;
}

/** `{ delayMs?, rejectUnknownCustomers?, errorReportWebhook?: { url, secret } | null }` for `POST /__admin/ingestion`. */
export function parseIngestionSettings(value: unknown): {
  delayMs?: number;
  rejectUnknownCustomers?: boolean;
  errorReportWebhook?: ErrorReportTarget | null;
} {
  const record = requireRecord(value, 'ingestion');
  const settings: { delayMs?: number; rejectUnknownCustomers?: boolean; errorReportWebhook?: ErrorReportTarget | null } = {};
  const delayMs = optionalNumber(record, 'delayMs');
  if (delayMs !== undefined) {
    if (!Number.isInteger(delayMs) || delayMs < 0) {
      throw new ControlInputError(400, 'delayMs must be a whole number of milliseconds, 0 or more');
    }
    settings.delayMs = delayMs;
  }
  const reject = record['rejectUnknownCustomers'];
  if (reject !== undefined) {
    if (typeof reject !== 'boolean') {
      throw new ControlInputError(400, 'rejectUnknownCustomers must be true or false');
    }
    settings.rejectUnknownCustomers = reject;
  }
  const webhook = record['errorReportWebhook'];
  if (webhook === null) {
    settings.errorReportWebhook = null;
  } else if (webhook !== undefined) {
    const target = requireRecord(webhook, 'errorReportWebhook');
    const url = optionalString(target, 'url');
    const secret = optionalString(target, 'secret');
    if (url === undefined || secret === undefined) {
      throw new ControlInputError(400, 'errorReportWebhook needs url and secret');
    }
    settings.errorReportWebhook = { url, secret };
  }
  return settings;
}
