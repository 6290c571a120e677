export {
  DEFAULT_INGESTION_DELAY_MS,
  DEFAULT_STRIPE_EMULATOR_KEY,
  type IngestionControl,
  startStripeEmulator,
  type AccountSummary,
  type RunningStripeEmulator,
  type StripeEmulatorControl,
  type StripeEmulatorOptions,
} from './stripe-emulator';
export {
  accountIdForKey,
  type EmulatorAccountSeed,
  type EmulatorMeterSeed,
  type IngestionSettings,
  type MeterEventFilter,
  type MeterFormula,
  type RecordedMeterEvent,
  type RequestCounts,
  type RequestLogEntry,
  type StreamRejection,
  type StripeCustomer,
  type StripeMeter,
  type UsageTotal,
} from './emulator-state';
export type { FaultKind, FaultRule, FaultRuleInput } from './fault-injector';
export { DEFAULT_STRIPE_EMULATOR_PORT, StripeEmulatorConfigError, stripeEmulatorOptionsFromEnv } from './emulator-env';
export {
  EMULATED_API_VERSION,
  buildCustomerObject,
  buildStripeEvent,
  sendStripeWebhook,
  signStripePayload,
  type StripeEvent,
  type StripeEventInput,
  type StripeWebhookDelivery,
  type StripeWebhookResult,
} from './webhook-sender';
export { StripeEmulatorAdminClient, StripeEmulatorAdminError } from './stripe-emulator-admin-client';
export { errorOf, rawStripeCall, type RawStripeCall, type RawStripeResponse } from './raw-stripe-call';
export { METER_ERROR_REPORT_EVENT, buildMeterErrorReport, type ErrorReportDelivery, type ErrorReportTarget } from './meter-error-reports';
