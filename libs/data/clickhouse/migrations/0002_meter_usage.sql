-- FlexPrice's real usage table, in the nearest types ClickHouse 18.16 has (production DDL: docker/clickhouse/meter_usage.sql).
-- LowCardinality(String) is experimental on 18.16: plain String. DateTime64(3) does not exist: ingested_at holds Unix
-- milliseconds (UInt64), still the ReplacingMergeTree version, so the latest ingestion of an id wins as in production.
CREATE TABLE IF NOT EXISTS meter_usage (
  id String,
  tenant_id String,
  environment_id String,
  external_customer_id String,
  meter_id String,
  event_name String,
  timestamp DateTime,
  ingested_at UInt64,
  qty_total Decimal(18, 8),
  unique_hash String DEFAULT '',
  source String DEFAULT '',
  properties String DEFAULT ''
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMMDD(timestamp)
ORDER BY (tenant_id, environment_id, external_customer_id, meter_id, timestamp, id)
