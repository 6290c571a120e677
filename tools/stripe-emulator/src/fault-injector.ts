import { StripeApiError, stripeErrors } from './stripe-api-error';

export type FaultKind = 'status' | 'latency' | 'drop';

/**
 * One injected failure. Without `times` or `rate` the rule applies to every
 * matching call until cleared; with `times` it applies to the next N matching
 * calls; with `rate` each matching call is hit with that probability.
 */
export interface FaultRuleInput {
  kind: FaultKind;
  /** For `status`: 401, 403, 409, 429, 500, 502, 503 or 504. */
  status?: number;
  /** For `latency`: milliseconds added before the request is handled. */
  latencyMs?: number;
  times?: number;
  rate?: number;
  /** Only calls whose path starts with this, e.g. `/v1/billing/meter_events`. */
  pathPrefix?: string;
  method?: string;
  /** Only calls authenticated as this account (account id or one of its API keys). */
  account?: string;
  /** Sets `Stripe-Should-Retry` on an injected status response. */
  shouldRetry?: boolean;
}

export interface FaultRule {
  id: string;
  kind: FaultKind;
  status?: number;
  latencyMs?: number;
  rate?: number;
  pathPrefix?: string;
  method?: string;
  accountId?: string;
  shouldRetry?: boolean;
  /** Calls still to hit for a `times` rule. */
  remaining?: number;
  hits: number;
}

export interface FaultTarget {
  method: string;
  path: string;
  accountId?: string;
}

export interface FaultDecision {
  latencyMs: number;
  status?: FaultRule;
  drop?: FaultRule;
}

const SUPPORTED_STATUSES = new Set([401, 403, 409, 429, 500, 502, 503, 504]);

export function validateFaultRule(input: FaultRuleInput): string | undefined {
  switch (input.kind) {
    case 'status':
      if (input.status === undefined || !SUPPORTED_STATUSES.has(input.status)) {
        return `status fault needs status in ${[...SUPPORTED_STATUSES].join(', ')}`;
      }
      break;
    case 'latency':
      if (input.latencyMs === undefined || !Number.isFinite(input.latencyMs) || input.latencyMs < 0) {
        return 'latency fault needs latencyMs >= 0';
      }
      break;
    case 'drop':
      break;
    default:
      return `unknown fault kind ${String((input as { kind: unknown }).kind)}`;
  }
  if (input.times !== undefined && (!Number.isInteger(input.times) || input.times < 1)) {
    return 'times must be a positive integer';
  }
  if (input.rate !== undefined && !(input.rate >= 0 && input.rate <= 1)) {
    return 'rate must be between 0 and 1';
  }
  return undefined;
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number) {}

  add(input: FaultRuleInput, accountId: string | undefined): FaultRule {
    const problem = validateFaultRule(input);
    if (problem !== undefined) {
      throw new Error(problem);
    }
    const rule: FaultRule = {
      id: `fault_${this.nextId++}`,
      kind: input.kind,
      hits: 0,
      ...(input.status === undefined ? {} : { status: input.status }),
      ...(input.latencyMs === undefined ? {} : { latencyMs: input.latencyMs }),
      ...(input.rate === undefined ? {} : { rate: input.rate }),
      ...(input.pathPrefix === undefined ? {} : { pathPrefix: input.pathPrefix }),
      ...(input.method === undefined ? {} : { method: input.method.toUpperCase() }),
      ...(accountId === undefined ? {} : { accountId }),
      ...(input.shouldRetry === undefined ? {} : { shouldRetry: input.shouldRetry }),
      ...(input.times === undefined ? {} : { remaining: input.times }),
    };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  clear(): void {
    this.rules = [];
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length !== before;
  }

  /** Decides which faults hit this call, consuming `times` budgets of the rules that fire. */
  decide(target: FaultTarget): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    for (const rule of this.rules) {
      if (!this.matches(rule, target)) {
        continue;
      }
      const failing = rule.kind === 'status' || rule.kind === 'drop';
      if (failing && (decision.status !== undefined || decision.drop !== undefined)) {
        continue;
      }
      if (rule.rate !== undefined && this.random() >= rule.rate) {
        continue;
      }
      if (rule.remaining !== undefined) {
        rule.remaining -= 1;
      }
      rule.hits += 1;
      switch (rule.kind) {
        case 'latency':
          decision.latencyMs += rule.latencyMs ?? 0;
          break;
        case 'status':
          decision.status = rule;
          break;
        case 'drop':
          decision.drop = rule;
          break;
      }
    }
    this.rules = this.rules.filter((rule) => rule.remaining === undefined || rule.remaining > 0);
    return decision;
  }

  private matches(rule: FaultRule, target: FaultTarget): boolean {
    if (rule.pathPrefix !== undefined && !target.path.startsWith(rule.pathPrefix)) {
      return false;
    }
    if (rule.method !== undefined && rule.method !== target.method) {
      return false;
    }
    if (rule.accountId !== undefined && rule.accountId !== target.accountId) {
      return false;
    }
    return true;
  }
}

/** The Stripe-shaped response an injected status fault answers with. */
export function faultError(rule: FaultRule): StripeApiError {
  const status = rule.status ?? 500;
  let error: StripeApiError;
  switch (status) {
    case 401:
      error = stripeErrors.invalidApiKey('sk_test_revoked_by_fault_injection');
      break;
    case 403:
      error = stripeErrors.permissionDenied();
      break;
    case 409:
      error = new StripeApiError(409, {
        type: 'invalid_request_error',
        code: 'lock_timeout',
        message:
          'This object cannot be accessed right now because another API request or Stripe process is currently accessing it. If you see this error intermittently, retry the request.',
        doc_url: 'https://stripe.com/docs/error-codes/lock-timeout',
      });
      break;
    case 429:
      error = stripeErrors.rateLimited();
      break;
    default:
      error = stripeErrors.apiError(status);
  }
  if (rule.shouldRetry !== undefined) {
    error.headers['Stripe-Should-Retry'] = String(rule.shouldRetry);
  }
  return error;
}
