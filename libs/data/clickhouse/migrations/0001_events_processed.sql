-- Usage priced by FlexPrice. Decimal quantities keep billing exact; processed_at drives the half-open sync windows.
CREATE TABLE IF NOT EXISTS events_processed (
  tenant_id String,
  environment_id String,
  event_id String DEFAULT '',
  customer_id String,
  meter_id String,
  event_type String,
  qty_billable Decimal(38, 12),
  processed_at DateTime,
  inserted_at DateTime DEFAULT now()
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(processed_at)
ORDER BY (tenant_id, environment_id, processed_at, customer_id, meter_id, event_type)
