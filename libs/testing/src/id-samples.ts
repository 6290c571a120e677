/**
 * FlexPrice customer ids at and around the edge of the one FlexPrice id rule, for the specs that show every path
 * (mapping API, Kafka consumer, ClickHouse filter, sync requests) accepts and refuses the same ones.
 */
export const FLEXPRICE_CUSTOMER_ID_SAMPLES: readonly { id: string; valid: boolean }[] = [
  { id: 'client_123', valid: true },
  { id: 'acme.eu:cust-7@x', valid: true },
  { id: 'c'.repeat(128), valid: true },
  { id: 'cust#1', valid: false },
  { id: 'c'.repeat(129), valid: false },
  { id: 'a b', valid: false },
  { id: '-lead', valid: false },
  { id: "o'brien", valid: false },
  { id: 'kunde_ü', valid: false },
];
