import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@flexsync/testing';
import type { ReplicaJob, ReplicaReport } from './replica-worker';

/** Runs {@link ReplicaJob} in a worker process of its own and resolves with its report. */
export function runReplica(job: ReplicaJob): Promise<ReplicaReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, 'libs/testing/sync/src/replica-worker.ts'), JSON.stringify(job)],
      { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    // 'close', not 'exit': the report is the last line of its output, which may still be in the pipe at 'exit'.
    child.once('close', (code) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as ReplicaReport);
      else reject(new Error(`replica exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}
