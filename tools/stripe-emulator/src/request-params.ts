import { stripeErrors } from './stripe-api-error';

/** A decoded v1 request: Stripe's form encoding nests with brackets (`payload[value]=3`). */
export type ParamValue = string | ParamObject | ParamValue[];
export interface ParamObject {
  [key: string]: ParamValue;
}

export type ParamSpec =
  | { kind: 'string'; required?: boolean; maxLength?: number; oneOf?: readonly string[] }
  | { kind: 'integer'; required?: boolean; min?: number; max?: number }
  | { kind: 'boolean'; required?: boolean }
  | { kind: 'string_map'; required?: boolean }
  | { kind: 'object'; required?: boolean; fields: ParamFields }
  | { kind: 'string_list'; required?: boolean };

export type ParamFields = Readonly<Record<string, ParamSpec>>;

function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) {
    return [key];
  }
  const parts = [key.slice(0, open)];
  const pattern = /\[([^\]]*)\]/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(key.slice(open))) !== null) {
    parts.push(match[1] ?? '');
  }
  return parts;
}

function isParamObject(value: ParamValue | undefined): value is ParamObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assign(target: ParamObject, path: string[], value: string): void {
  let node: ParamObject = target;
  for (let index = 0; index < path.length - 1; index += 1) {
    const segment = path[index] ?? '';
    const nextSegment = path[index + 1] ?? '';
    const existing = node[segment];
    if (nextSegment === '' && index === path.length - 2) {
      // `expand[]=a&expand[]=b` appends to a list.
      const list = Array.isArray(existing) ? existing : [];
      list.push(value);
      node[segment] = list;
      return;
    }
    if (isParamObject(existing)) {
      node = existing;
    } else {
      const created: ParamObject = {};
      node[segment] = created;
      node = created;
    }
  }
  node[path[path.length - 1] ?? ''] = value;
}

/** Decodes `application/x-www-form-urlencoded` (or a query string) into nested params. */
export function parseFormParams(encoded: string | URLSearchParams): ParamObject {
  const search = typeof encoded === 'string' ? new URLSearchParams(encoded) : encoded;
  const params: ParamObject = {};
  for (const [key, value] of search) {
    assign(params, splitKey(key), value);
  }
  return params;
}

function displayName(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}[${name}]`;
}

function findUnknown(params: ParamObject, fields: ParamFields, prefix: string): string | undefined {
  for (const [name, value] of Object.entries(params)) {
    const spec = fields[name];
    if (spec === undefined) {
      return displayName(prefix, name);
    }
    if (spec.kind === 'object' && isParamObject(value)) {
      const nested = findUnknown(value, spec.fields, displayName(prefix, name));
      if (nested !== undefined) {
        return nested;
      }
    }
  }
  return undefined;
}

function checkValue(name: string, value: ParamValue, spec: ParamSpec): void {
  switch (spec.kind) {
    case 'string': {
      if (typeof value !== 'string') {
        throw stripeErrors.invalidType(name, 'a string');
      }
      if (value === '' && spec.required === true) {
        throw stripeErrors.parameterEmpty(name);
      }
      if (spec.maxLength !== undefined && value.length > spec.maxLength) {
        throw stripeErrors.invalidStringLength(name, spec.maxLength);
      }
      if (spec.oneOf !== undefined && !spec.oneOf.includes(value)) {
        throw stripeErrors.invalidEnum(name, value, spec.oneOf);
      }
      return;
    }
    case 'integer': {
      if (typeof value !== 'string' || !/^-?\d+$/.test(value)) {
        throw stripeErrors.invalidInteger(name, typeof value === 'string' ? value : JSON.stringify(value));
      }
      const parsed = Number(value);
      if ((spec.min !== undefined && parsed < spec.min) || (spec.max !== undefined && parsed > spec.max)) {
        throw stripeErrors.invalidRequest(
          `Invalid ${name}: must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}`,
          name,
        );
      }
      return;
    }
    case 'boolean': {
      if (value !== 'true' && value !== 'false') {
        throw stripeErrors.invalidBoolean(name, typeof value === 'string' ? value : JSON.stringify(value));
      }
      return;
    }
    case 'string_map': {
      if (!isParamObject(value)) {
        throw stripeErrors.invalidType(name, 'an object');
      }
      for (const [key, entry] of Object.entries(value)) {
        if (typeof entry !== 'string') {
          throw stripeErrors.invalidType(displayName(name, key), 'a string');
        }
      }
      return;
    }
    case 'object': {
      if (!isParamObject(value)) {
        throw stripeErrors.invalidType(name, 'an object');
      }
      checkFields(value, spec.fields, name);
      return;
    }
    case 'string_list': {
      const entries = Array.isArray(value) ? value : isParamObject(value) ? Object.values(value) : [value];
      if (entries.some((entry) => typeof entry !== 'string')) {
        throw stripeErrors.invalidType(name, 'an array of strings');
      }
      return;
    }
  }
}

function checkFields(params: ParamObject, fields: ParamFields, prefix: string): void {
  for (const [name, spec] of Object.entries(fields)) {
    const value = params[name];
    const fullName = displayName(prefix, name);
    if (value === undefined) {
      if (spec.required === true) {
        throw stripeErrors.parameterMissing(fullName);
      }
      continue;
    }
    checkValue(fullName, value, spec);
  }
}

/**
 * Rejects what Stripe rejects before an endpoint runs: unknown parameters first,
 * then missing required ones, then malformed values.
 */
export function validateParams(params: ParamObject, fields: ParamFields): void {
  const unknown = findUnknown(params, fields, '');
  if (unknown !== undefined) {
    throw stripeErrors.parameterUnknown(unknown);
  }
  checkFields(params, fields, '');
}

export function stringParam(params: ParamObject, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' ? value : undefined;
}

export function integerParam(params: ParamObject, name: string): number | undefined {
  const value = stringParam(params, name);
  return value === undefined ? undefined : Number(value);
}

export function objectParam(params: ParamObject, name: string): ParamObject | undefined {
  const value = params[name];
  return isParamObject(value) ? value : undefined;
}

export function stringMapParam(params: ParamObject, name: string): Record<string, string> | undefined {
  const value = objectParam(params, name);
  if (value === undefined) {
    return undefined;
  }
  const map: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === 'string') {
      map[key] = entry;
    }
  }
  return map;
}

/** Stable text of a request's parameters, used to tell a replay from a different request. */
export function canonicalParams(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((entry) => canonicalParams(entry)).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalParams(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
