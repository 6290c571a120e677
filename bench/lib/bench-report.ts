import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** One benchmark's figures: a table printed to the terminal and kept in `bench/RESULTS.md`. */
export interface BenchReport {
  /** Stable name; its section in RESULTS.md is replaced on every run of that benchmark. */
  name: string;
  title: string;
  /** The command that produced it, so anyone can repeat it. */
  command: string;
  columns: string[];
  rows: (string | number)[][];
  /** Goals met or missed, bottlenecks measured: one line each. */
  notes?: string[];
}

export const RESULTS_FILE = join(__dirname, '..', 'RESULTS.md');

/** The machine a figure was measured on: a ratio only means something next to it. */
export function machineLine(): string {
  const cpu = cpus();
  const gib = (totalmem() / 2 ** 30).toFixed(0);
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${gib} GiB, Node ${process.version}, ${gitRevision()}`;
}

function gitRevision(): string {
  try {
    return `commit ${execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()}`;
  } catch {
    return 'commit unknown';
  }
}

export function renderReport(report: BenchReport, measuredAt: Date, machine: string): string {
  const cells = (row: (string | number)[]): string => `| ${row.map(String).join(' | ')} |`;
  return [
    `## ${report.title}`,
    '',
    `Measured ${measuredAt.toISOString()} on ${machine}.`,
    '',
    '```bash',
    report.command,
    '```',
    '',
    cells(report.columns),
    cells(report.columns.map(() => '---')),
    ...report.rows.map(cells),
    ...(report.notes?.length ? ['', ...report.notes.map((note) => `- ${note}`)] : []),
  ].join('\n');
}

const begin = (name: string): string => `<!-- bench:${name} -->`;
const end = (name: string): string => `<!-- /bench:${name} -->`;

/** Replaces (or appends) this benchmark's section, leaving the other benchmarks' sections as they were. */
export function mergeSection(document: string, name: string, section: string): string {
  const block = `${begin(name)}\n${section}\n${end(name)}`;
  const from = document.indexOf(begin(name));
  const to = document.indexOf(end(name));
  if (from >= 0 && to > from) return document.slice(0, from) + block + document.slice(to + end(name).length);
  return `${document.trimEnd()}\n\n${block}\n`;
}

const HEADER = '# Benchmark results\n\nWritten by the benchmarks under `bench/` (see `bench/README.md`); each section is replaced when its benchmark runs again.\n';

/** Prints the table and writes it into RESULTS.md. */
export function publishReport(report: BenchReport, file = RESULTS_FILE): string {
  const section = renderReport(report, new Date(), machineLine());
  const current = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  writeFileSync(file, mergeSection(current, report.name, section));
  process.stdout.write(`${section}\n`);
  return section;
}
