import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { REPO_ROOT, stackEnv } from '@flexsync/testing';

const run = promisify(execFile);

/** The shell commands a README shows: inline code and fenced lines that start with a command we ship. */
function commandsIn(readme: string): string[] {
  const text = readFileSync(join(REPO_ROOT, readme), 'utf8');
  const fencedBlocks = /```[a-z]*\n([\s\S]*?)```/g;
  const fenced = [...text.matchAll(fencedBlocks)].flatMap((match) => match[1].split('\n'));
  // Inline code may wrap across a line break.
  const inline = [...text.replace(fencedBlocks, '').matchAll(/`([^`]+)`/g)].map((match) => match[1].replace(/\s*\n\s*/g, ' '));
  const commands = [...inline, ...fenced]
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => /^(npm|node|bash|npx|docker|kubectl) /.test(line));
  return [...new Set(commands)];
}

/**
 * Where each command of the top-level README runs in `npm test` (or `.ci/run`), or `here` when this spec runs it.
 * A command added to the README without a line here fails the suite, so a doc cannot silently stop working.
 */
const README_COMMANDS: Record<string, string> = {
  'npm start': 'playbook e2e in tools/dev/test.sh (npm start = bash tools/dev/start-all.sh, then the demo)',
  'npm test': '.ci/run',
  'npm start -- --no-demo': 'playbook e2e in tools/dev/test.sh (start-all.sh; --no-demo only skips its last step, the demo)',
  'bash tools/dev/start-all.sh stop': 'playbook e2e in tools/dev/test.sh',
  'npm run stack -- down': 'here (as `npm run stack -- status`: the same npm script; down itself runs at the end of .ci/run)',
  'docker compose -f docker/compose.yaml up -d --wait': 'here (compose file read as text: stack services; docker is not on the test machines)',
  'docker compose -f docker/compose.yaml --profile app up -d --build': 'here (compose file read as text: the app profile; docker is not on the test machines)',
  'npm run ch:migrate': 'here',
  'node tools/dev/run-ts.js tools/mint-token/mint-token.ts --tenant <tenant> --env <env>': 'here',
  'npm run db:migrate': 'here (on a database of its own)',
  'npm run db:revert': 'here (on a database of its own)',
  'npm run db:check-ids': 'here, and libs/data/persistence/src/id-rule-check.int-spec.ts',
  'kubectl kustomize': 'tools/k8s/validate.sh in tools/dev/test.sh',
  'npm run build': 'tools/dev/test.sh (production build step)',
  'bash tools/fuzz/run.sh [--max-examples N]': 'tools/dev/test.sh (fuzz step)',
  'npm ci': '.ci/run',
  'npm run bench:push -- --aggregates 10000,100000':
    'benchmark, run by hand (not part of npm test by design); bench/RESULTS.md records its last run',
  'npm run bench:replicas -- --aggregates 20000':
    'benchmark, run by hand (not part of npm test by design); bench/RESULTS.md records its last run',
  'npm run bench:v2 -- --aggregates 20000':
    'benchmark, run by hand (not part of npm test by design); bench/RESULTS.md records its last run',
  'npm run bench:meter-usage -- --rows 1000000 --duplicates 0.1':
    'benchmark, run by hand (not part of npm test by design); bench/RESULTS.md records its last run',
  'npm run bench:webhook-ingest':
    'benchmark, run by hand (not part of npm test by design); bench/RESULTS.md records its last run',
  'npm run bench:operator-api':
    'benchmark, run by hand (not part of npm test by design); bench/RESULTS.md records its last run',

};

/** tools/stack/README.md: the non-destructive commands run here; the rest by the test setup, the fault specs and .ci/run. */
const STACK_README_COMMANDS: Record<string, string> = {
  'bash tools/stack/stack.sh up': 'tools/dev/test.sh and .ci/run',
  'bash tools/stack/stack.sh status': 'here',
  'bash tools/stack/stack.sh down': '.ci/run',
  'bash tools/stack/stack.sh down --purge': 'by hand only (deletes all stack data)',
  'bash tools/stack/stack.sh stop-service kafka': 'fault specs (e.g. apps/webhook-ingest/src/e2e/kafka-outage.int-spec.ts)',
  'bash tools/stack/stack.sh kill-service postgres': 'fault specs',
  'bash tools/stack/stack.sh start-service kafka': 'fault specs',
  'bash tools/stack/stack.sh restart-service NAME': 'fault specs',
  'bash tools/stack/stack.sh logs temporal 50': 'here',
  'bash tools/stack/stack.sh env': 'here',
  'bash tools/stack/stack.sh write-env': 'by hand (after `docker compose up`); rewrites stack.env',
  'npm run stack -- up': 'here (as `npm run stack -- status`)',
  'node tools/dev/run-ts.js tools/stripe-emulator/src/main.ts': 'stack.sh up (how the stack starts the emulator), every run',
};

describe('every command the READMEs show is exercised', () => {
  const env = stackEnv();

  async function shell(command: string, args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
    const { stdout } = await run(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env, ...extraEnv }, timeout: 120_000 });
    return stdout;
  }

  it('lists every command of README.md with where it runs', () => {
    expect(commandsIn('README.md').filter((command) => !(command in README_COMMANDS))).toEqual([]);
  });

  it('lists every command of tools/stack/README.md with where it runs', () => {
    expect(commandsIn('tools/stack/README.md').filter((command) => !(command in STACK_README_COMMANDS))).toEqual([]);
  });

  it('lists no command the READMEs no longer show', () => {
    expect(Object.keys(README_COMMANDS).filter((command) => !commandsIn('README.md').includes(command))).toEqual([]);
    expect(Object.keys(STACK_README_COMMANDS).filter((command) => !commandsIn('tools/stack/README.md').includes(command))).toEqual([]);
  });

  it('runs the stack commands that change nothing: status, env, logs', async () => {
    expect(await shell('npm', ['run', '-s', 'stack', '--', 'status'])).toMatch(/^postgres\s+(running|external)/m);
    expect(await shell('bash', ['tools/stack/stack.sh', 'env'])).toContain(`DATABASE_URL=${env.DATABASE_URL}`);
    await shell('bash', ['tools/stack/stack.sh', 'logs', 'temporal', '50']);
  });

  it('applies, reverts and re-applies the Postgres migrations, then checks the stored ids, on a database of its own', async () => {
    const databaseName = `flexsync_readme_${process.pid}`;
    const admin = new Client({ connectionString: env.DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${databaseName}`);
      await admin.query(`CREATE DATABASE ${databaseName}`);
      const own = { DATABASE_URL: env.DATABASE_URL.replace(/\/[^/]+$/, `/${databaseName}`) };
      expect(await shell('npm', ['run', '-s', 'db:migrate'], own)).toMatch(/^applied: /);
      expect(await shell('npm', ['run', '-s', 'db:revert'], own)).toBe('reverted 1 migration(s)\n');
      expect(await shell('npm', ['run', '-s', 'db:migrate'], own)).toMatch(/^applied: /);
      expect(await shell('npm', ['run', '-s', 'db:check-ids'], own)).toBe('every stored id follows its rule\n');
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('applies the ClickHouse DDL again without error (npm run ch:migrate is idempotent)', async () => {
    await shell('npm', ['run', '-s', 'ch:migrate']);
  });

  it('mints a tenant token with the command the README shows', async () => {
    const token = await shell(
      process.execPath,
      ['tools/dev/run-ts.js', 'tools/mint-token/mint-token.ts', '--tenant', 'tenant_readme', '--env', 'env_readme'],
      { AUTH_JWT_SECRET: 'readme-commands-spec-secret-0123456789abcdef', AUTH_JWT_ISSUER: 'flexsync', AUTH_JWT_AUDIENCE: 'flexsync-api' },
    );
    expect(token.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('keeps docker/compose.yaml naming the stack services and the app profile the two docker compose commands use', () => {
    // Docker is not on the test machines; the file's top-level services and profiles are read as text.
    const compose = readFileSync(join(REPO_ROOT, 'docker/compose.yaml'), 'utf8');
    const services = [...compose.matchAll(/^ {2}([a-z-]+):$/gm)].map((match) => match[1]);
    expect(services).toEqual(expect.arrayContaining(['postgres', 'clickhouse', 'kafka', 'temporal', 'stripe-mock', 'config-service', 'sync-worker']));
    expect(compose).toMatch(/^ {4}profiles: \["app"\]$/m);
  });
});
