export { maskSecret, redactSecrets } from './mask-secret';
export { retryBackoffMs } from './retry-backoff';
export { parseStripeBaseUrl, type StripeHostSettings } from './stripe-base-url';
export {
  StripeCallError,
  toStripeCallError,
  type StripeCallErrorDetails,
  type StripeCallErrorKind,
  type StripeErrorContext,
} from './stripe-call-error';
export {
  SharedBudgetRateLimiter,
  sharedBudgetBurst,
  TokenBucketRateLimiter,
  type RequestRateLimiter,
  type ReservedSlots,
  type SharedBudgetRateLimiterOptions,
  type TokenBucketRateLimiterOptions,
} from './request-rate-limiter';
export {
  METER_EVENT_STREAM_BATCH_LIMIT,
  StripeAccountClient,
  meterEventRetryKey,
  type AccountBalance,
  type BalanceAmount,
  type BillingMeter,
  type MeterEventCancellation,
  type MeterEventCancellationRequest,
  type MeterEventReceipt,
  type MeterEventSummary,
  type MeterEventSummaryQuery,
  type MeterEventToSend,
  type StripeAccountClientOptions,
} from './stripe-account-client';
export {
  REQUIRED_METER_FORMULA,
  checkStripeMeter,
  checkStripeMeters,
  isStripeMeterId,
  resolveStripeMeter,
  type StripeMeterCheck,
} from './stripe-meter-lookup';
