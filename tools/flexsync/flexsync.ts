import { parseArgs } from 'node:util';
import { ApiError, OrchestratorClient } from './orchestrator-client';
import { renderProgress, RunProgress } from './progress-bar';

const GLOBAL_HELP = `flexsync — operate the FlexPrice → Stripe usage sync through sync-orchestrator

usage: flexsync <command> [options]

commands:
  sync start --from ISO --to ISO [--customer ID] [--force] [--no-watch]   start a manual sync (backfill) and watch it
  sync watch <workflow_id>                                                 live progress until the run ends
  sync cancel <workflow_id>                                                cancel a running manual sync or retry
  status                                                                   sync health over the last 24 h
  coverage                                                                 oldest window not yet in Stripe, freshness lag
  batches list [--status S] [--customer ID] [--window-start ISO] [--limit N] [--cursor C]
  batches retry <batch_id>                                                 re-run a failed push's window
  reconcile run --from ISO --to ISO [--customer ID] [--meter ID]          reconcile with Stripe's meter totals now
  reconcile show --from ISO --to ISO [--customer ID] [--meter ID] [--limit N] [--cursor C]

options (every command):
  --api-url URL     sync-orchestrator base URL (env FLEXSYNC_API_URL, default http://127.0.0.1:8080)
  --token JWT       bearer token (env FLEXSYNC_TOKEN): a tenant-admin token, or an operator token with --tenant/--env
  --tenant ID       tenant to act on (operators; env FLEXSYNC_TENANT_ID)
  --env ID          environment to act on (env FLEXSYNC_ENVIRONMENT_ID)
  --json            print the API's JSON answers instead of text
  -h, --help        this help, or a command's help: flexsync sync start --help

exit codes: 0 done, 1 the API refused or the run did not complete, 2 usage error, 3 reconcile show found drift or unknown outcomes`;

const COMMAND_HELP: Record<string, string> = {
  'sync start': `usage: flexsync sync start --from ISO --to ISO [--customer ID] [--force] [--no-watch] [--interval-ms 1000]

Starts a manual sync of [from, to) (UTC instants ending in Z, within Stripe's 35-day limit) and, unless --no-watch,
draws its progress until it ends. An identical sync already running is joined, not started twice.
With --json prints {"started": …, "final": …}.`,
  'sync watch': `usage: flexsync sync watch <workflow_id> [--interval-ms 1000]

Draws the run's progress (windows reached, ledger rows by state) until Temporal reports it closed.
Exits 0 when it completed, 1 otherwise. With --json prints the final progress.`,
  'sync cancel': `usage: flexsync sync cancel <workflow_id>

Asks Temporal to cancel a running manual sync or retry; pushes already made stay in the ledger.`,
  status: `usage: flexsync status

Success rate, open circuit breakers, mean latency and ledger rows by state over the last 24 hours.`,
  coverage: `usage: flexsync coverage

The closed windows the scheduler still has to deliver: the oldest one not yet fully in Stripe, the freshness lag in
seconds, how many are undelivered and how many are past Stripe's 35-day limit (those need an operator).`,
  'batches list': `usage: flexsync batches list [--status pending|completed|failed|unknown] [--customer ID] [--window-start ISO] [--limit N] [--cursor C]

Lists pushes recorded in the ledger, newest first; pass the printed next cursor to --cursor for the next page.`,
  'batches retry': `usage: flexsync batches retry <batch_id>

Re-runs the window of a failed push for its customer (same identities: nothing is counted twice). A batch whose
outcome is unknown is refused (only reconciliation may settle it).`,
  'reconcile run': `usage: flexsync reconcile run --from ISO --to ISO [--customer ID] [--meter ID]

Starts a reconciliation of [from, to) (at most 35 days) against Stripe's own meter totals on the sync worker:
unknown pushes are settled, missing ones re-sent once under a new identifier, every cell judged. Read the verdicts
with flexsync reconcile show. One runs at a time per tenant and environment.`,
  'reconcile show': `usage: flexsync reconcile show --from ISO --to ISO [--customer ID] [--meter ID] [--limit N] [--cursor C]

The stored verdicts per customer × meter × window (match, drift, pending, unknown_outcome) with totals per status
over the whole range; one line per cell: status, window start, customer, meter, measured, Stripe, difference.
Exits 3 when any cell of the range is drift or unknown_outcome.`,
};

class UsageError extends Error {}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Temporal statuses of a closed run (the orchestrator describes the latest run of a chain, never a continued one). */
const CLOSED_STATUSES = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

/** Polls the run's progress, drawing the bar on stderr (in place on a terminal), until the run closes. */
async function watch(client: OrchestratorClient, workflowId: string, intervalMs: number): Promise<RunProgress> {
  const path = `/v1/stripe/sync/runs/${encodeURIComponent(workflowId)}`;
  const inPlace = process.stderr.isTTY === true;
  let previous = '';
  for (;;) {
    const progress = await client.get<RunProgress>(path);
    const line = renderProgress(progress);
    if (line !== previous) {
      process.stderr.write(inPlace ? `\r${line}` : `${line}\n`);
      previous = line;
    }
    if (CLOSED_STATUSES.has(progress.status)) {
      if (inPlace) process.stderr.write('\n');
      return progress;
    }
    await sleep(intervalMs);
  }
}

function positional(args: string[], index: number, name: string): string {
  const value = args[index];
  if (!value) throw new UsageError(`missing <${name}>`);
  return value;
}

function intervalFrom(value: string | undefined): number {
  const ms = Number(value ?? '1000');
  if (!Number.isInteger(ms) || ms < 50) throw new UsageError('--interval-ms must be a whole number ≥ 50');
  return ms;
}

function reconciliationRange(values: { from?: string; to?: string; customer?: string; meter?: string }): Record<string, string> {
  if (!values.from || !values.to) throw new UsageError('--from and --to are required');
  return {
    time_from: values.from,
    time_to: values.to,
    ...(values.customer ? { customer_id: values.customer } : {}),
    ...(values.meter ? { meter_id: values.meter } : {}),
  };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'api-url': { type: 'string' },
      token: { type: 'string' },
      tenant: { type: 'string' },
      env: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      from: { type: 'string' },
      to: { type: 'string' },
      customer: { type: 'string' },
      force: { type: 'boolean' },
      'no-watch': { type: 'boolean' },
      'interval-ms': { type: 'string' },
      status: { type: 'string' },
      'window-start': { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      meter: { type: 'string' },
    },
  });
  const [group, action] = positionals;
  const command = group === 'sync' || group === 'batches' || group === 'reconcile' ? `${group} ${action ?? ''}`.trim() : (group ?? '');
  if (values.help || !group) {
    out(COMMAND_HELP[command] ?? GLOBAL_HELP);
    return 0;
  }
  if (!(command in COMMAND_HELP)) throw new UsageError(`unknown command "${positionals.join(' ')}"`);
  const token = values.token ?? process.env.FLEXSYNC_TOKEN;
  if (!token) throw new UsageError('a token is required: --token or FLEXSYNC_TOKEN');
  const client = new OrchestratorClient({
    apiUrl: values['api-url'] ?? process.env.FLEXSYNC_API_URL ?? 'http://127.0.0.1:8080',
    token,
    tenantId: values.tenant ?? process.env.FLEXSYNC_TENANT_ID,
    environmentId: values.env ?? process.env.FLEXSYNC_ENVIRONMENT_ID,
  });
  const json = values.json === true;
  const args = positionals.slice(command.split(' ').length);

  switch (command) {
    case 'sync start': {
      if (!values.from || !values.to) throw new UsageError('--from and --to are required');
      const body: Record<string, unknown> = { time_from: values.from, time_to: values.to, force_rerun: values.force === true };
      if (values.customer) Object.assign(body, { entity_type: 'customer', entity_id: values.customer });
      const started = await client.post<{ workflow_id: string; run_id: string; windows: number }>('/v1/stripe/sync/manual', body);
      if (!json) out(`started ${started.workflow_id} (run ${started.run_id}, ${started.windows} windows)`);
      if (values['no-watch']) {
        if (json) out(JSON.stringify({ started }));
        return 0;
      }
      const final = await watch(client, started.workflow_id, intervalFrom(values['interval-ms']));
      out(json ? JSON.stringify({ started, final }) : `${final.status}: ${renderProgress(final)}`);
      return final.status === 'COMPLETED' ? 0 : 1;
    }
    case 'sync watch': {
      const final = await watch(client, positional(args, 0, 'workflow_id'), intervalFrom(values['interval-ms']));
      out(json ? JSON.stringify(final) : `${final.status}: ${renderProgress(final)}`);
      return final.status === 'COMPLETED' ? 0 : 1;
    }
    case 'sync cancel': {
      const id = positional(args, 0, 'workflow_id');
      const answer = await client.post<{ workflow_id: string; run_id: string; status: string }>(
        `/v1/stripe/sync/runs/${encodeURIComponent(id)}/cancel`,
      );
      out(json ? JSON.stringify(answer) : `cancel requested for ${answer.workflow_id} (run ${answer.run_id})`);
      return 0;
    }
    case 'status': {
      const status = await client.get<Record<string, unknown>>('/v1/stripe/sync/status');
      if (json) out(JSON.stringify(status));
      else
        for (const [key, value] of Object.entries(status))
          out(`${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
      return 0;
    }
    case 'coverage': {
      const coverage = await client.get<Record<string, unknown>>('/v1/stripe/sync/coverage');
      if (json) out(JSON.stringify(coverage));
      else for (const [key, value] of Object.entries(coverage)) out(`${key}: ${String(value)}`);
      return 0;
    }
    case 'batches list': {
      const query = new URLSearchParams();
      if (values.status) query.set('status', values.status);
      if (values.customer) query.set('customer_id', values.customer);
      if (values['window-start']) query.set('window_start', values['window-start']);
      if (values.limit) query.set('limit', values.limit);
      if (values.cursor) query.set('cursor', values.cursor);
      const page = await client.get<{ data: Record<string, unknown>[]; next_cursor: string | null }>(`/v1/stripe/sync/batches?${query}`);
      if (json) {
        out(JSON.stringify(page));
        return 0;
      }
      for (const batch of page.data) {
        out(
          [
            batch.id,
            batch.sync_status,
            batch.window_start,
            batch.customer_id,
            batch.meter_id,
            batch.aggregated_quantity,
            batch.error_message ?? '',
          ]
            .map(String)
            .join('\t'),
        );
      }
      if (page.next_cursor) out(`next cursor: ${page.next_cursor}`);
      return 0;
    }
    case 'batches retry': {
      const id = positional(args, 0, 'batch_id');
      const answer = await client.post<{ workflow_id: string; run_id: string }>(`/v1/stripe/sync/batches/${encodeURIComponent(id)}/retry`);
      out(
        json
          ? JSON.stringify(answer)
          : `retry started ${answer.workflow_id} (run ${answer.run_id}); watch it with: flexsync sync watch ${answer.workflow_id}`,
      );
      return 0;
    }
    case 'reconcile run': {
      const started = await client.post<{ workflow_id: string; run_id: string; time_from: string; time_to: string }>(
        '/v1/stripe/sync/reconciliation',
        reconciliationRange(values),
      );
      out(json ? JSON.stringify(started) : `reconciliation started ${started.workflow_id} (run ${started.run_id}) over ${started.time_from} – ${started.time_to}`);
      return 0;
    }
    case 'reconcile show': {
      const query = new URLSearchParams(reconciliationRange(values));
      if (values.limit) query.set('limit', values.limit);
      if (values.cursor) query.set('cursor', values.cursor);
      const page = await client.get<{
        totals: Record<string, number>;
        drift_units: string;
        cells: Record<string, unknown>[];
        next_cursor: string | null;
      }>(`/v1/stripe/sync/reconciliation?${query}`);
      if (json) out(JSON.stringify(page));
      else {
        out(`totals: ${Object.entries(page.totals).map(([status, count]) => `${status} ${count}`).join(', ')}; drift units ${page.drift_units}`);
        for (const cell of page.cells) {
          out(
            [cell.status, cell.window_start, cell.customer_id, cell.meter_id, cell.measured_value, cell.stripe_value ?? '-', cell.difference ?? '-']
              .map(String)
              .join('\t'),
          );
        }
        if (page.next_cursor) out(`next cursor: ${page.next_cursor}`);
      }
      return (page.totals.drift ?? 0) + (page.totals.unknown_outcome ?? 0) > 0 ? 3 : 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`${error.message}\n\n${GLOBAL_HELP}\n`);
      process.exit(2);
    }
    if (error instanceof ApiError) {
      if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ status: error.status, ...error.body })}\n`);
      const retry = error.retryAfter ? ` (retry after ${error.retryAfter} s)` : '';
      process.stderr.write(`error: ${error.message}${retry}\n`);
      if (error.body.details) process.stderr.write(`${JSON.stringify(error.body.details)}\n`);
      process.exit(1);
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
