/**
 * Webhook ingest benchmark (design "Performance targets"): signed `customer.created` deliveries sustained by
 * webhook-ingest on this machine, with p50/p95/p99 latency, and its throughput as a ratio to a bare Node HTTP server
 * answering 200 in the same run. Not part of `npm test`.
 *
 *   node tools/dev/run-ts.js apps/webhook-ingest/src/e2e/webhook-ingest.bench.ts [--seconds 15] [--concurrency 16]
 *                                                                                [--warmup 2]
 *
 * Each option can also come from BENCH_<NAME> (e.g. BENCH_CONCURRENCY=32). Both servers run as child processes (the
 * load generator never shares their event loop) on loopback, and get the same load: N keep-alive loops for a fixed
 * time, each request a distinct event, signed, of the same size. webhook-ingest runs from source on the real local
 * stack (Postgres, Kafka) with its own tenant and topic and LOG_LEVEL=warn. Only 2xx answers count; anything else is
 * reported as an error. Afterwards every accepted event id is looked up in `stripe_webhook_events`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { EncryptionKeyring, generateKeyringEntry, SecretBox } from '@flexsync/crypto';
import { createKafkaClient, ensureTopics } from '@flexsync/kafka';
import { buildCustomerObject, buildStripeEvent, signStripePayload } from '@flexsync/stripe-emulator';
import { freePort, REPO_ROOT, stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';

interface BenchOptions {
  seconds: number;
  concurrency: number;
  warmup: number;
}

function options(argv: string[]): BenchOptions {
  const value = (name: string, fallback: number, min: number, max: number): number => {
    const index = argv.indexOf(`--${name}`);
    const raw = index >= 0 ? argv[index + 1] : process.env[`BENCH_${name.toUpperCase()}`];
    const parsed = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    }
    return parsed;
  };
  return {
    seconds: value('seconds', 15, 1, 60),
    concurrency: value('concurrency', 16, 1, 512),
    warmup: value('warmup', 2, 0, 10),
  };
}

const out = (line: string): boolean => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------------------------
// Child processes: both servers, always stopped on the way out (normal end, error, Ctrl-C).

interface Server {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
  output: string[];
  url: string;
}

const children = new Set<ChildProcess>();

function spawnServer(name: string, args: string[], env: NodeJS.ProcessEnv, port: number): Server {
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      children.delete(child);
      resolve();
    }),
  );
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output.push(...chunk.toString().split('\n').filter(Boolean));
      output.splice(0, Math.max(0, output.length - 200));
    });
  }
  return { name, child, exited, output, url: `http://127.0.0.1:${port}` };
}

async function waitUntilReady(server: Server, path: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`${server.name} exited before it was ready:\n${server.output.slice(-20).join('\n')}`);
    }
    const response = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (response) await response.arrayBuffer().catch(() => undefined);
    if (response?.status === 200) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${server.name} not ready within ${timeoutMs} ms:\n${server.output.slice(-20).join('\n')}`);
}

async function stopServer(server: Server | undefined): Promise<void> {
  if (!server || !children.has(server.child)) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await server.exited;
  clearTimeout(timer);
}

process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGTERM');
    process.exit(130);
  });
}

/** A Node HTTP server that reads the whole body and answers 200 with a small JSON body: the ceiling to compare with. */
const BARE_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  let bytes = 0;
  req.on('data', (chunk) => { bytes += chunk.length; });
  req.on('end', () => {
    const body = JSON.stringify({ received: true, bytes });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1');
`;

// ---------------------------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc; figures are left out where it is not available).

interface CpuSample {
  machineBusy: number;
  machineTotal: number;
  child: number | undefined;
  self: NodeJS.CpuUsage;
  at: number;
}

function childCpuTicks(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
  } catch {
    return undefined;
  }
}

function machineCpu(): { busy: number; total: number } {
  try {
    const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((sum, n) => sum + n, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

function loadAverage(): [string, string] {
  try {
    const [one, five] = readFileSync('/proc/loadavg', 'utf8').split(' ');
    return [one, five];
  } catch {
    return ['?', '?'];
  }
}

function sampleCpu(pid: number | undefined): CpuSample {
  const machine = machineCpu();
  return {
    machineBusy: machine.busy,
    machineTotal: machine.total,
    child: childCpuTicks(pid),
    self: process.cpuUsage(),
    at: performance.now(),
  };
}

interface CpuFigures {
  server_pct: number | null;
  load_generator_pct: number;
  machine_busy_pct: number | null;
}

function cpuBetween(before: CpuSample, after: CpuSample): CpuFigures {
  const seconds = (after.at - before.at) / 1000;
  const TICKS_PER_SECOND = 100; // USER_HZ on Linux
  const self = process.cpuUsage(before.self);
  return {
    server_pct:
      before.child === undefined || after.child === undefined
        ? null
        : Math.round(((after.child - before.child) / TICKS_PER_SECOND / seconds) * 100),
    load_generator_pct: Math.round(((self.user + self.system) / 1e6 / seconds) * 100),
    machine_busy_pct:
      after.machineTotal > before.machineTotal
        ? Math.round(((after.machineBusy - before.machineBusy) / (after.machineTotal - before.machineTotal)) * 100)
        : null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Load generator.

interface Delivery {
  eventId: string;
  body: Buffer;
  headers: OutgoingHttpHeaders;
}

/** A distinct signed `customer.created` event; fixed-width ids keep every body the same size. */
function signedDelivery(secret: string, label: string, seq: number): Delivery {
  const n = String(seq).padStart(9, '0');
  const created = Math.floor(Date.now() / 1000);
  const event = buildStripeEvent({
    type: 'customer.created',
    id: `evt_bench_${label}_${n}`,
    created,
    object: buildCustomerObject({
      id: `cus_bench_${label}_${n}`,
      email: `bench+${label}${n}@example.com`,
      name: 'Bench Customer',
      created,
      metadata: { flexprice_customer_id: `client_bench_${label}_${n}` },
    }),
  });
  const payload = JSON.stringify(event, null, 2);
  const body = Buffer.from(payload, 'utf8');
  return {
    eventId: event.id,
    body,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': body.length,
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'Cache-Control': 'no-cache',
      'Stripe-Signature': signStripePayload(payload, [secret], created),
    },
  };
}

function post(agent: Agent, url: URL, delivery: Delivery, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: delivery.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('request timed out'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end(delivery.body);
  });
}

interface PhaseResult {
  ok: number;
  elapsedMs: number;
  latenciesMs: Float64Array;
  errors: Record<string, number>;
  outcomes: Record<string, number>;
  acceptedIds: string[];
  cpu: CpuFigures;
}

interface Phase {
  server: Server;
  path: string;
  secret: string;
  label: string;
  concurrency: number;
  durationMs: number;
}

let sequence = 0;

async function runPhase(phase: Phase): Promise<PhaseResult> {
  const url = new URL(`${phase.server.url}${phase.path}`);
  // A fresh agent per phase: no socket left idle past the server's keep-alive timeout is ever reused.
  const agent = new Agent({ keepAlive: true, maxSockets: phase.concurrency, maxFreeSockets: phase.concurrency });
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const acceptedIds: string[] = [];
  let failure: Error | undefined;
  const cpuBefore = sampleCpu(phase.server.child.pid);
  const started = performance.now();
  const deadline = started + phase.durationMs;

  const loop = async (): Promise<void> => {
    while (performance.now() < deadline && !failure) {
      if (phase.server.child.exitCode !== null || phase.server.child.signalCode !== null) {
        failure = new Error(`${phase.server.name} exited during the run:\n${phase.server.output.slice(-20).join('\n')}`);
        return;
      }
      sequence += 1;
      const delivery = signedDelivery(phase.secret, phase.label, sequence);
      const sent = performance.now();
      try {
        const response = await post(agent, url, delivery, 10_000);
        const ms = performance.now() - sent;
        if (response.status >= 200 && response.status < 300) {
          latencies.push(ms);
          acceptedIds.push(delivery.eventId);
          const outcome = /"outcome":"([a-z]+)"/.exec(response.body)?.[1];
          if (outcome) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        } else {
          errors[`http_${response.status}`] = (errors[`http_${response.status}`] ?? 0) + 1;
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
        errors[code] = (errors[code] ?? 0) + 1;
        await new Promise((resolve) => setTimeout(resolve, 10)); // no hot loop against a dead socket
      }
    }
  };

  await Promise.all(Array.from({ length: phase.concurrency }, () => loop()));
  const elapsedMs = performance.now() - started;
  const cpu = cpuBetween(cpuBefore, sampleCpu(phase.server.child.pid));
  agent.destroy();
  if (failure) throw failure;
  const latenciesMs = Float64Array.from(latencies).sort();
  return { ok: latencies.length, elapsedMs, latenciesMs, errors, outcomes, acceptedIds, cpu };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface Figures {
  rps: number;
  ok: number;
  seconds: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  errors: Record<string, number>;
  cpu: CpuFigures;
}

function figures(result: PhaseResult): Figures {
  const round = (n: number, digits = 2): number => Number(n.toFixed(digits));
  return {
    rps: Math.round((result.ok * 1000) / result.elapsedMs),
    ok: result.ok,
    seconds: round(result.elapsedMs / 1000),
    p50_ms: round(percentile(result.latenciesMs, 50)),
    p95_ms: round(percentile(result.latenciesMs, 95)),
    p99_ms: round(percentile(result.latenciesMs, 99)),
    max_ms: round(percentile(result.latenciesMs, 100)),
    errors: result.errors,
    cpu: result.cpu,
  };
}

function summary(name: string, f: Figures): string {
  const errorCount = Object.values(f.errors).reduce((sum, n) => sum + n, 0);
  const cpu = [
    f.cpu.server_pct === null ? undefined : `server ${f.cpu.server_pct}%`,
    `load generator ${f.cpu.load_generator_pct}%`,
    f.cpu.machine_busy_pct === null ? undefined : `machine ${f.cpu.machine_busy_pct}% busy`,
  ].filter(Boolean);
  return [
    `${name}: ${f.rps} req/s (${f.ok} × 2xx in ${f.seconds} s)`,
    `  latency p50 ${f.p50_ms} ms, p95 ${f.p95_ms} ms, p99 ${f.p99_ms} ms, max ${f.max_ms} ms`,
    `  errors: ${errorCount}${errorCount > 0 ? ` ${JSON.stringify(f.errors)}` : ''}`,
    `  CPU (of one core): ${cpu.join(', ')}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------

async function seedTenant(pool: Pool, secretBox: SecretBox, tenant: TestTenant, webhookSecret: string): Promise<void> {
  const apiKey = secretBox.seal(['sk', 'test', 'bench00000000000000000'].join('_'), { ...tenant, field: 'api_key' });
  const sealed = secretBox.seal(webhookSecret, { ...tenant, field: 'webhook_secret' });
  await pool.query(
    `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, webhook_secret_ciphertext, webhook_secret_key_id)
     VALUES ($1, $2, $3, $4, 'sk_test_…0000', $5, $6)`,
    [tenant.tenantId, tenant.environmentId, apiKey.ciphertext, apiKey.keyId, sealed.ciphertext, sealed.keyId],
  );
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
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
  let ingest: Server | undefined;
  let bare: Server | undefined;

  try {
    await ensureTopics(createKafkaClient({ clientId: 'webhook-ingest-bench', brokers: env.KAFKA_BROKERS.split(',') }), [
      { topic, numPartitions: 3 },
    ]);
    await seedTenant(pool, secretBox, tenant, webhookSecret);

    const ingestPort = await freePort();
    ingest = spawnServer(
      'webhook-ingest',
      [join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, 'apps/webhook-ingest/src/main.ts')],
      {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        HOST: '127.0.0.1',
        PORT: String(ingestPort),
        DATABASE_URL: env.DATABASE_URL,
        KAFKA_BROKERS: env.KAFKA_BROKERS,
        KAFKA_CLIENT_ID: `webhook-ingest-bench-${suffix}`,
        KAFKA_CUSTOMER_EVENTS_TOPIC: topic,
        FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
        FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: keyId,
        LOG_LEVEL: 'warn',
      },
      ingestPort,
    );
    const barePort = await freePort();
    bare = spawnServer('bare node http', ['-e', BARE_SERVER], { PATH: process.env.PATH ?? '', PORT: String(barePort) }, barePort);
    const [ingestBootMs] = await Promise.all([waitUntilReady(ingest, '/health/ready', 60_000), waitUntilReady(bare, '/', 10_000)]);

    const sample = signedDelivery(webhookSecret, 'x', 0);
    const [load1, load5] = loadAverage();
    out(
      `webhook-ingest benchmark: ${opts.seconds} s per server after ${opts.warmup} s warm-up, concurrency ${opts.concurrency}, ` +
        `body ${sample.body.length} bytes, loopback, ${cpus().length} cores (load avg ${load1} / ${load5} before the run)`,
    );
    out(`webhook-ingest ready in ${ingestBootMs} ms (child process from source, LOG_LEVEL=warn, topic ${topic})`);

    const phase = (server: Server, label: string, durationMs: number): Promise<PhaseResult> =>
      runPhase({ server, path, secret: webhookSecret, label, concurrency: opts.concurrency, durationMs });

    // Warm-up (JIT, connection pools, secret cache), not counted; its accepted events are still checked below.
    const warmAccepted: string[] = [];
    if (opts.warmup > 0) {
      await phase(bare, 'w', opts.warmup * 1000);
      warmAccepted.push(...(await phase(ingest, 'w', opts.warmup * 1000)).acceptedIds);
    }
    const bareResult = await phase(bare, 'b', opts.seconds * 1000);
    const ingestResult = await phase(ingest, 'i', opts.seconds * 1000);

    const bareFigures = figures(bareResult);
    const ingestFigures = figures(ingestResult);
    const ratio = bareFigures.rps > 0 ? ingestFigures.rps / bareFigures.rps : Number.NaN;

    const accepted = [...warmAccepted, ...ingestResult.acceptedIds];
    const { rows } = await pool.query<{ total: number; found: number; published: number }>(
      `SELECT count(*)::int AS total,
              count(*) FILTER (WHERE stripe_event_id = ANY($3::text[]))::int AS found,
              count(*) FILTER (WHERE published_at IS NOT NULL)::int AS published
       FROM stripe_webhook_events WHERE tenant_id = $1 AND environment_id = $2`,
      [tenant.tenantId, tenant.environmentId, accepted],
    );
    const inbox = rows[0];
    const inboxOk = inbox.found === accepted.length;

    out('');
    out(summary('bare node http (200 after reading the body)', bareFigures));
    out(summary('webhook-ingest (verify, record, publish to Kafka)', ingestFigures));
    out(`  outcomes: ${JSON.stringify(ingestResult.outcomes)}`);
    out(`throughput ratio webhook-ingest / bare: ${ratio.toFixed(3)}`);
    out(
      `inbox check: ${accepted.length} events answered 2xx (incl. ${warmAccepted.length} in warm-up), ${inbox.found} of them in ` +
        `stripe_webhook_events for the tenant (${inbox.total} rows, ${inbox.published} published): ${inboxOk ? 'all present' : 'MISSING EVENTS'}`,
    );
    const ingestLog = ingest.output.length;
    if (ingestLog > 0) out(`webhook-ingest printed ${ingestLog} log line(s) at warn or above; last: ${ingest.output[ingestLog - 1]}`);
    out(
      JSON.stringify({
        ...opts,
        body_bytes: sample.body.length,
        bare: bareFigures,
        ingest: { ...ingestFigures, outcomes: ingestResult.outcomes },
        ratio: Number(ratio.toFixed(3)),
        inbox: { accepted: accepted.length, found: inbox.found, rows: inbox.total, published: inbox.published, all_present: inboxOk },
      }),
    );
    if (!inboxOk) process.exitCode = 1;
  } finally {
    await Promise.all([stopServer(ingest), stopServer(bare)]);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
