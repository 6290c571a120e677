import { Agent, request, type OutgoingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface HttpCall {
  method: 'GET' | 'POST';
  path: string;
  headers: OutgoingHttpHeaders;
  body?: Buffer;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One HTTP request on a keep-alive agent; rejects on a socket error or after `timeoutMs`. */
export function send(agent: Agent, baseUrl: string, call: HttpCall, timeoutMs: number): Promise<HttpAnswer> {
  const url = new URL(call.path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, hostname: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: call.method, headers: call.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('request timed out'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end(call.body);
  });
}

export interface LoadOptions {
  baseUrl: string;
  concurrency: number;
  durationMs: number;
  timeoutMs?: number;
  /** The request worker `worker` sends next (`seq` counts across workers). */
  next: (worker: number, seq: number) => HttpCall;
  /** Whether an answer counts as a success (default: 2xx). */
  accept?: (answer: HttpAnswer) => boolean;
  /** Called for each accepted answer (e.g. to collect ids to check afterwards). */
  onAccepted?: (call: HttpCall, answer: HttpAnswer) => void;
  /** Stops the run early, e.g. when the server process died. */
  abort?: () => Error | undefined;
}

export interface LoadResult {
  ok: number;
  elapsedMs: number;
  /** Latencies of the accepted answers, sorted ascending. */
  latenciesMs: Float64Array;
  /** Failures by `http_<status>` or error code. */
  errors: Record<string, number>;
}

/**
 * A closed loop: `concurrency` workers, each sending its next request as soon as the previous one was answered, for
 * `durationMs`; a fresh keep-alive agent per run, so no socket idle past the server's keep-alive timeout is reused.
 */
export async function closedLoop(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, maxFreeSockets: options.concurrency });
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const accept = options.accept ?? ((answer: HttpAnswer) => answer.status >= 200 && answer.status < 300);
  let failure: Error | undefined;
  let seq = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;

  const worker = async (index: number): Promise<void> => {
    while (performance.now() < deadline && !failure) {
      failure = options.abort?.();
      if (failure) return;
      seq += 1;
      const call = options.next(index, seq);
      const sent = performance.now();
      try {
        const answer = await send(agent, options.baseUrl, call, options.timeoutMs ?? 10_000);
        const ms = performance.now() - sent;
        if (accept(answer)) {
          latencies.push(ms);
          options.onAccepted?.(call, answer);
        } else {
          errors[`http_${answer.status}`] = (errors[`http_${answer.status}`] ?? 0) + 1;
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
        errors[code] = (errors[code] ?? 0) + 1;
        await new Promise((resolve) => setTimeout(resolve, 10)); // no hot loop against a dead socket
      }
    }
  };

  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  if (failure) throw failure;
  return { ok: latencies.length, elapsedMs, latenciesMs: Float64Array.from(latencies).sort(), errors };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface LatencyFigures {
  rps: number;
  ok: number;
  errors: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}

export function latencyFigures(result: LoadResult): LatencyFigures {
  const round = (n: number): number => Number(n.toFixed(1));
  return {
    rps: Math.round((result.ok * 1000) / result.elapsedMs),
    ok: result.ok,
    errors: Object.values(result.errors).reduce((sum, n) => sum + n, 0),
    p50_ms: round(percentile(result.latenciesMs, 50)),
    p95_ms: round(percentile(result.latenciesMs, 95)),
    p99_ms: round(percentile(result.latenciesMs, 99)),
    max_ms: round(percentile(result.latenciesMs, 100)),
  };
}

/** `--name value` or `BENCH_NAME`, a whole number within bounds. */
export function intOption(argv: string[], name: string, fallback: number, min: number, max: number): number {
  const index = argv.indexOf(`--${name}`);
  const raw = index >= 0 ? argv[index + 1] : process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  const parsed = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
  return parsed;
}
