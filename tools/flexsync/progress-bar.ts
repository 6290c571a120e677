/** What `GET /v1/stripe/sync/runs/:workflow_id` answers. */
export interface RunProgress {
  workflow_id: string;
  run_id: string;
  status: string;
  windows_total: number;
  windows_reached: number;
  batches: { pending: number; completed: number; failed: number; unknown: number };
}

const WIDTH = 30;

/** One line: `[#######---------] 7/24 windows · 120 completed · 0 failed · 3 pending · 0 unknown · RUNNING`. */
export function renderProgress(progress: RunProgress): string {
  const total = Math.max(progress.windows_total, 1);
  const filled = Math.min(WIDTH, Math.round((progress.windows_reached / total) * WIDTH));
  const { pending, completed, failed, unknown } = progress.batches;
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${progress.windows_reached}/${progress.windows_total} windows · ` +
    `${completed} completed · ${failed} failed · ${pending} pending · ${unknown} unknown · ${progress.status}`
  );
}
