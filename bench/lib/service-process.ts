import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** The repository root (services run from source, with it as their working directory). */
export const REPO_ROOT = join(__dirname, '..', '..');

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** A server under test, run as its own process so the load generator never shares its event loop. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
  /** Its last 200 output lines, shown when it fails. */
  output: string[];
  url: string;
}

const children = new Set<ChildProcess>();
let cleanupInstalled = false;

/** Children are always stopped on the way out: normal end, error or Ctrl-C. */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of children) child.kill('SIGTERM');
      process.exit(130);
    });
  }
}

export function spawnService(name: string, args: string[], env: NodeJS.ProcessEnv, port: number): ServiceProcess {
  installCleanup();
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

/** One of the project's services, from source (`apps/<app>/src/main.ts`), on a free loopback port. */
export async function spawnAppFromSource(app: string, env: Record<string, string>, extraNodeArgs: string[] = []): Promise<ServiceProcess> {
  const port = await freePort();
  return spawnService(
    app,
    [...extraNodeArgs, join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, `apps/${app}/src/main.ts`)],
    { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    port,
  );
}

export function exitedEarly(server: ServiceProcess): boolean {
  return server.child.exitCode !== null || server.child.signalCode !== null;
}

export async function waitUntilReady(server: ServiceProcess, path: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (exitedEarly(server)) throw new Error(`${server.name} exited before it was ready:\n${server.output.slice(-20).join('\n')}`);
    const response = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (response) await response.arrayBuffer().catch(() => undefined);
    if (response?.status === 200) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${server.name} not ready within ${timeoutMs} ms:\n${server.output.slice(-20).join('\n')}`);
}

/** SIGTERM (a graceful stop: profiles and buffers are written), SIGKILL after `graceMs`. */
export async function stopService(server: ServiceProcess | undefined, graceMs = 5000): Promise<void> {
  if (!server || !children.has(server.child)) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
  await server.exited;
  clearTimeout(timer);
}

/** A Node HTTP server that reads the whole body and answers 200 with a small JSON body: the ceiling to compare with. */
export function spawnBareNodeServer(port: number): ServiceProcess {
  const source = `
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
  return spawnService('bare node http', ['-e', source], { PATH: process.env.PATH ?? '', PORT: String(port) }, port);
}

// ---------------------------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc; figures are left out where it is not available).

export interface CpuSample {
  machineBusy: number;
  machineTotal: number;
  child: number | undefined;
  self: NodeJS.CpuUsage;
  at: number;
}

export interface CpuFigures {
  /** Percent of one core used by the server process (null where /proc is missing). */
  server_pct: number | null;
  load_generator_pct: number;
  machine_busy_pct: number | null;
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

export function loadAverage(): [string, string] {
  try {
    const [one, five] = readFileSync('/proc/loadavg', 'utf8').split(' ');
    return [one, five];
  } catch {
    return ['?', '?'];
  }
}

export function sampleCpu(pid: number | undefined): CpuSample {
  const machine = machineCpu();
  return {
    machineBusy: machine.busy,
    machineTotal: machine.total,
    child: childCpuTicks(pid),
    self: process.cpuUsage(),
    at: performance.now(),
  };
}

export function cpuBetween(before: CpuSample, after: CpuSample): CpuFigures {
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
