import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface CpuShare {
  name: string;
  ms: number;
  /** Percent of the busy (non-idle) time in the window. */
  pct: number;
}

export interface CpuProfileSummary {
  busyMs: number;
  shares: CpuShare[];
}

/** Microseconds on the clock V8's profiler stamps samples with (CLOCK_MONOTONIC, the same in every process). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Where a frame's code comes from: an npm package, Node itself, the project, or V8's own buckets. */
function categoryOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return 'V8/native (program)';
    return 'native';
  }
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1];
  if (url.startsWith('node:')) return 'node internals';
  const project = /\/(apps\/[^/]+|libs\/[^/]+\/[^/]+)\//.exec(url);
  return project ? project[1] : 'other';
}

/** The newest `.cpuprofile` in `dir`. */
export function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort();
  return files.length > 0 ? join(dir, files[files.length - 1]) : undefined;
}

/**
 * Self time by category for samples taken between `fromUs` and `toUs` (monotonic microseconds). Each sample counts
 * as one sampling interval (the median gap): on a busy machine the gaps also hold time the process was not
 * scheduled at all, which is not CPU this process spent.
 */
export function summarizeCpuProfile(file: string, fromUs: number, toUs: number): CpuProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const categoryById = new Map(profile.nodes.map((node) => [node.id, categoryOf(node.callFrame)]));
  const gaps = [...profile.timeDeltas].filter((delta) => delta > 0).sort((a, b) => a - b);
  const intervalUs = gaps[Math.floor(gaps.length / 2)] ?? 1000;
  const totals = new Map<string, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) continue;
    const category = categoryById.get(profile.samples[i]) ?? 'other';
    totals.set(category, (totals.get(category) ?? 0) + intervalUs);
  }
  totals.delete('(idle)');
  const busyUs = [...totals.values()].reduce((sum, us) => sum + us, 0);
  const shares = [...totals.entries()]
    .map(([name, us]) => ({ name, ms: us / 1000, pct: busyUs > 0 ? (us / busyUs) * 100 : 0 }))
    .sort((a, b) => b.ms - a.ms);
  return { busyMs: busyUs / 1000, shares };
}
