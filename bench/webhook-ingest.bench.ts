/**
 * Webhook ingest benchmark (design "Performance targets"; goal: ≥ 0.3 of a bare Node `http` server in the same run).
 * Signed `customer.created` deliveries, each a distinct event and customer of the same size, from N keep-alive loops
 * for a fixed time, first against a bare Node server that reads the body and answers 200, then against
 * webhook-ingest (from source, on the real local stack, LOG_LEVEL=warn, a tenant and topic of its own). Both run as
 * child processes on loopback. Afterwards every event answered 2xx is checked end to end: in the inbox, published
 * (the outbox drained), on the Kafka topic, and applied once by mapping-service (started only after the load, so it
 * takes no CPU from the measurement) — one mapping row per recorded event and
 * `customer_mapping_events_total{outcome="mapped"}` equal to the number recorded (which can exceed the number
 * answered 2xx by events whose answer came after the client's timeout).
 *
 *   npm run bench:webhook-ingest -- [--seconds 15] [--concurrency 16] [--warmup 2] [--cpu-prof 0|1]
 *
 * Each option can also come from BENCH_<NAME> (e.g. BENCH_CONCURRENCY=32). `--cpu-prof 1` runs webhook-ingest under
 * `node --cpu-prof` and prints where the profile was written. Not part of `npm test`.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import Stripe from 'stripe';
import { EncryptionKeyring, generateKeyringEntry, SecretBox } from '@flexsync/crypto';
import { createKafkaClient, ensureTopics } from '@flexsync/kafka';
import { stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { publishReport } from './lib/bench-report';
import { monotonicMicros, newestProfile, summarizeCpuProfile } from './lib/cpu-profile';
import { closedLoop, intOption, latencyFigures, type HttpCall, type LatencyFigures, type LoadResult } from './lib/http-load';
import {
  cpuBetween,
  exitedEarly,
  freePort,
  loadAverage,
  sampleCpu,
  spawnAppFromSource,
  spawnBareNodeServer,
  stopService,
  waitUntilReady,
  type CpuFigures,
  type ServiceProcess,
} from './lib/service-process';

const GOAL_RATIO = 0.3;
const out = (line: string): boolean => process.stdout.write(`${line}\n`);

/** A distinct signed `customer.created` event, shaped as Stripe sends it; fixed-width ids keep every body the same size. */
function signedDelivery(path: string, secret: string, label: string, seq: number): HttpCall & { eventId: string } {
  const n = String(seq).padStart(9, '0');
  const created = Math.floor(Date.now() / 1000);
  const event = {
    id: `evt_bench_${label}_${n}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created,
    data: {
      object: {
        id: `cus_bench_${label}_${n}`,
        object: 'customer',
        address: null,
        balance: 0,
        created,
        currency: null,
        delinquent: false,
        description: null,
        email: `bench+${label}${n}@example.com`,
        invoice_prefix: 'BENCH001',
        livemode: false,
        metadata: { flexprice_customer_id: `client_bench_${label}_${n}` },
        name: 'Bench Customer',
        phone: null,
        preferred_locales: [],
        shipping: null,
        tax_exempt: 'none',
      },
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'customer.created',
  };
  const payload = JSON.stringify(event, null, 2);
  const body = Buffer.from(payload, 'utf8');
  return {
    eventId: event.id,
    method: 'POST',
    path,
    body,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': body.length,
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'Cache-Control': 'no-cache',
      'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: created }),
    },
  };
}

interface Phase {
  result: LoadResult;
  figures: LatencyFigures;
  cpu: CpuFigures;
  accepted: string[];
}

async function measure(
  server: ServiceProcess,
  path: string,
  secret: string,
  label: string,
  concurrency: number,
  seconds: number,
): Promise<Phase> {
  const accepted: string[] = [];
  const before = sampleCpu(server.child.pid);
  const result = await closedLoop({
    baseUrl: server.url,
    concurrency,
    durationMs: seconds * 1000,
    next: (_worker, seq) => signedDelivery(path, secret, label, seq),
    onAccepted: (call) => accepted.push((call as HttpCall & { eventId: string }).eventId),
    abort: () =>
      exitedEarly(server) ? new Error(`${server.name} exited during the run:\n${server.output.slice(-20).join('\n')}`) : undefined,
  });
  return { result, figures: latencyFigures(result), cpu: cpuBetween(before, sampleCpu(server.child.pid)), accepted };
}

async function seedTenant(pool: Pool, secretBox: SecretBox, tenant: TestTenant, webhookSecret: string): Promise<void> {
  const apiKey = secretBox.seal(['sk', 'test', 'bench00000000000000000'].join('_'), { ...tenant, field: 'api_key' });
  const sealed = secretBox.seal(webhookSecret, { ...tenant, field: 'webhook_secret' });
  await pool.query(
    `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, webhook_secret_ciphertext, webhook_secret_key_id)
     VALUES ($1, $2, $3, $4, 'sk_test_…0000', $5, $6)`,
    [tenant.tenantId, tenant.environmentId, apiKey.ciphertext, apiKey.keyId, sealed.ciphertext, sealed.keyId],
  );
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const match of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} ([0-9.e+]+)$`, 'gm'))) {
    if (Object.entries(labels).every(([key, value]) => match[1].includes(`${key}="${value}"`))) return Number(match[2]);
  }
  return 0;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const seconds = intOption(argv, 'seconds', 15, 1, 60);
  const concurrency = intOption(argv, 'concurrency', 16, 1, 512);
  const warmup = intOption(argv, 'warmup', 2, 0, 10);
  const cpuProfile = intOption(argv, 'cpu-prof', 0, 0, 1) === 1;
  const env = stackEnv();
  const suffix = randomUUID().slice(0, 8);
  const topic = `bench.webhook-ingest.customer-events.${suffix}`;
  const keyId = 'bench';
  const keyEntry = generateKeyringEntry(keyId);
  const secretBox = new SecretBox(EncryptionKeyring.parse(keyEntry, keyId));
  const webhookSecret = `whsec_bench_${randomUUID().replace(/-/g, '')}`;
  const tenant = uniqueTenant('bench');
  const path = `/webhooks/stripe/${tenant.tenantId}/${tenant.environmentId}`;
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 2 });
  const kafka = createKafkaClient({ clientId: 'webhook-ingest-bench', brokers: env.KAFKA_BROKERS.split(',') });
  const profileDir = join(tmpdir(), `webhook-ingest-profile-${suffix}`);
  let ingest: ServiceProcess | undefined;
  let bare: ServiceProcess | undefined;
  let mapping: ServiceProcess | undefined;

  try {
    await ensureTopics(kafka, [{ topic, numPartitions: 3 }]);
    await seedTenant(pool, secretBox, tenant, webhookSecret);
    if (cpuProfile) mkdirSync(profileDir, { recursive: true });
    ingest = await spawnAppFromSource(
      'webhook-ingest',
      {
        DATABASE_URL: env.DATABASE_URL,
        KAFKA_BROKERS: env.KAFKA_BROKERS,
        KAFKA_CLIENT_ID: `webhook-ingest-bench-${suffix}`,
        KAFKA_CUSTOMER_EVENTS_TOPIC: topic,
        FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
        FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: keyId,
        LOG_LEVEL: 'warn',
      },
      cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    );
    bare = spawnBareNodeServer(await freePort());
    const [ingestBootMs] = await Promise.all([waitUntilReady(ingest, '/health/ready', 60_000), waitUntilReady(bare, '/', 10_000)]);

    const sampleBytes = signedDelivery(path, webhookSecret, 'x', 0).body?.length ?? 0;
    const [load1, load5] = loadAverage();
    out(
      `webhook-ingest benchmark: ${seconds} s per server after ${warmup} s warm-up, concurrency ${concurrency}, body ${sampleBytes} bytes, ` +
        `loopback, ${cpus().length} cores (load avg ${load1} / ${load5} before the run); webhook-ingest ready in ${ingestBootMs} ms`,
    );

    // Warm-up (JIT, connection pools, secret cache), not counted; its accepted events are still checked below.
    const accepted: string[] = [];
    let warmupErrors = 0;
    if (warmup > 0) {
      await measure(bare, '/', webhookSecret, 'w', concurrency, warmup);
      const warm = await measure(ingest, path, webhookSecret, 'w', concurrency, warmup);
      accepted.push(...warm.accepted);
      warmupErrors = warm.figures.errors;
    }
    const bareRun = await measure(bare, '/', webhookSecret, 'b', concurrency, seconds);
    const loadStartUs = monotonicMicros();
    const ingestRun = await measure(ingest, path, webhookSecret, 'i', concurrency, seconds);
    const loadEndUs = monotonicMicros();
    accepted.push(...ingestRun.accepted);
    const ratio = bareRun.figures.rps > 0 ? ingestRun.figures.rps / bareRun.figures.rps : Number.NaN;

    // The outbox drains: every accepted event recorded and published (the delay the relay adds after the load).
    const inbox = await waitFor('outbox drained', 120_000, async () => {
      // `recorded` can exceed `accepted`: an event whose answer came after the client's timeout is recorded all the same.
      const { rows } = await pool.query<{ found: number; recorded: number; published: number }>(
        `SELECT count(*) FILTER (WHERE stripe_event_id = ANY($3::text[]))::int AS found, count(*)::int AS recorded,
                count(*) FILTER (WHERE published_at IS NOT NULL)::int AS published
           FROM stripe_webhook_events WHERE tenant_id = $1 AND environment_id = $2`,
        [tenant.tenantId, tenant.environmentId, accepted],
      );
      return rows[0].published === rows[0].recorded ? rows[0] : undefined;
    });
    const ingestMetrics = await (await fetch(`${ingest.url}/metrics`)).text();
    const relayRuns = metricValue(ingestMetrics, 'stripe_webhook_outbox_relay_batch_size_count', {});
    const relayPublished = metricValue(ingestMetrics, 'stripe_webhook_outbox_relay_batch_size_sum', {});
    const inboxWrites = metricValue(ingestMetrics, 'stripe_webhook_inbox_batch_size_count', {});
    const inboxRecorded = metricValue(ingestMetrics, 'stripe_webhook_inbox_batch_size_sum', {});
    await stopService(ingest, 15_000);
    await stopService(bare);
    const profileNotes: string[] = [];
    const profileFile = cpuProfile ? newestProfile(profileDir) : undefined;
    if (profileFile) {
      const summary = summarizeCpuProfile(profileFile, loadStartUs, loadEndUs);
      const top = summary.shares.slice(0, 10).map((share) => `${share.name} ${share.pct.toFixed(0)} %`);
      profileNotes.push(
        `CPU profile of webhook-ingest during the measured run (\`node --cpu-prof\`, ${profileFile}): ` +
          `${(summary.busyMs / Math.max(1, ingestRun.figures.ok)).toFixed(2)} ms CPU per accepted request; self time by package: ${top.join(', ')}.`,
      );
    }

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const onTopic = offsets.reduce((sum, partition) => sum + Number(partition.high), 0);

    // mapping-service applies them (after the measurement): one mapping row per accepted event, each applied once.
    mapping = await spawnAppFromSource('mapping-service', {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_CUSTOMER_EVENTS_TOPIC: topic,
      KAFKA_CUSTOMER_EVENTS_DLQ_TOPIC: `${topic}.dlq`,
      KAFKA_CUSTOMER_EVENTS_GROUP_ID: `bench-webhook-ingest-${suffix}`,
      AUTH_JWT_SECRET: `bench-${randomUUID()}-${randomUUID()}`,
      AUTH_JWT_ISSUER: 'flexsync-bench',
      AUTH_JWT_AUDIENCE: 'flexsync-api',
      FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: keyId,
      LOG_LEVEL: 'warn',
    });
    await waitUntilReady(mapping, '/health/ready', 60_000);
    const mapped = await waitFor('mapping rows for every accepted event', 300_000, async () => {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM customer_integration_mappings
          WHERE tenant_id = $1 AND environment_id = $2 AND provider_type = 'stripe' AND status = 'mapped'`,
        [tenant.tenantId, tenant.environmentId],
      );
      return rows[0].n >= inbox.value.recorded ? rows[0].n : undefined;
    });
    const mappingMetrics = await (await fetch(`${mapping.url}/metrics`)).text();
    const appliedMapped = metricValue(mappingMetrics, 'customer_mapping_events_total', {
      event_type: 'customer.created',
      outcome: 'mapped',
    });
    const skippedDuplicates = metricValue(mappingMetrics, 'customer_mapping_events_total', {
      event_type: 'customer.created',
      outcome: 'skipped_duplicate',
    });

    const allRecorded = inbox.value.found === accepted.length;
    const allPublished = inbox.value.published === inbox.value.recorded;
    const appliedOnce = mapped.value === inbox.value.recorded && appliedMapped === inbox.value.recorded;
    const errorsOf = (run: Phase): string =>
      run.figures.errors === 0 ? '0' : `${run.figures.errors} ${JSON.stringify(run.result.errors).replace(/\|/g, '/')}`;
    const row = (name: string, run: Phase): (string | number)[] => [
      name,
      run.figures.rps,
      run.figures.p50_ms,
      run.figures.p95_ms,
      run.figures.p99_ms,
      run.figures.max_ms,
      errorsOf(run),
      run.cpu.server_pct ?? '?',
    ];
    publishReport({
      name: 'webhook-ingest',
      title: 'Webhook ingest at line rate',
      command: `npm run bench:webhook-ingest -- --seconds ${seconds} --concurrency ${concurrency} --warmup ${warmup}${cpuProfile ? ' --cpu-prof 1' : ''}`,
      columns: ['server', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors', 'server CPU % of a core'],
      rows: [
        row('bare Node http (200 after reading the body)', bareRun),
        row('webhook-ingest (verify, record, answer; relay publishes)', ingestRun),
      ],
      notes: [
        `Throughput ratio webhook-ingest / bare Node: **${ratio.toFixed(3)}** (goal ≥ ${GOAL_RATIO}: ${ratio >= GOAL_RATIO ? 'met' : 'not met'}).`,
        `webhook-ingest process CPU per accepted request (from /proc, relay and producer included): ${
          ingestRun.cpu.server_pct === null
            ? '?'
            : ((ingestRun.cpu.server_pct * seconds * 10) / Math.max(1, ingestRun.figures.ok)).toFixed(2)
        } ms.`,
        `${concurrency} keep-alive loops, ${seconds} s each after ${warmup} s warm-up, ${sampleBytes}-byte signed customer.created bodies; ` +
          `machine ${ingestRun.cpu.machine_busy_pct ?? '?'} % busy during the webhook-ingest run, load average ${load1} before it (load generator ${ingestRun.cpu.load_generator_pct} % of a core; Postgres and Kafka share the 2 cores).`,
        `Every accepted event checked: ${accepted.length} answered 2xx (incl. warm-up), ${inbox.value.found} of them in the inbox ` +
          `(${inbox.value.recorded} recorded in all${warmupErrors > 0 ? `; ${warmupErrors} warm-up requests failed at the client` : ''}), ${inbox.value.published} published ` +
          `(outbox drained ${inbox.ms} ms after the load), ${onTopic} messages on the topic, ${relayRuns} relay batches (mean ${relayRuns > 0 ? (relayPublished / relayRuns).toFixed(1) : '?'} events), ` +
          `${inboxWrites} inbox INSERTs (mean ${inboxWrites > 0 ? (inboxRecorded / inboxWrites).toFixed(1) : '?'} deliveries each).`,
        `Applied by mapping-service: ${mapped.value} mapping rows, ${appliedMapped} applied as mapped, ${skippedDuplicates} redeliveries skipped: ` +
          `${appliedOnce && allRecorded && allPublished ? 'every accepted event applied exactly once' : 'MISMATCH'}.`,
        ...profileNotes,
      ],
    });
    if (!(allRecorded && allPublished && appliedOnce)) process.exitCode = 1;
  } finally {
    await Promise.all([stopService(ingest, 15_000), stopService(bare), stopService(mapping)]);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
