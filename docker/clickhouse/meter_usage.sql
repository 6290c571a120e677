-- FlexPrice's production `meter_usage` (ClickHouse 26.3), the reference for the local 18.16 DDL in
-- libs/data/clickhouse/migrations/0002_meter_usage.sql. Run by docker/compose.yaml's ClickHouse at first start.
CREATE TABLE IF NOT EXISTS flexprice.meter_usage (
  id String,
  tenant_id LowCardinality(String),
  environment_id LowCardinality(String),
  external_customer_id LowCardinality(String),
  meter_id LowCardinality(String),
  event_name LowCardinality(String),
  timestamp DateTime,
  ingested_at DateTime64(3) DEFAULT now64(3),
  qty_total Decimal(18, 8),
  unique_hash String DEFAULT '',
  source LowCardinality(String) DEFAULT '',
  properties String DEFAULT ''
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMMDD(timestamp)
ORDER BY (tenant_id, environment_id, external_customer_id, meter_id, timestamp, id);
