// Jest runs globalSetup outside its module registry (no moduleNameMapper for the workspace aliases), so the
// TypeScript preparation runs as a child process through the same launcher the dev tools use.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function globalSetup() {
  const root = join(__dirname, '..', '..', '..');
  execFileSync(process.execPath, [join(root, 'tools', 'dev', 'run-ts.js'), join(root, 'tools', 'dev', 'prepare-stack.ts')], {
    stdio: 'inherit',
    cwd: root,
  });
};
