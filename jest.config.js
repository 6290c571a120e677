// Two tiers: `unit` (*.spec.ts, no servers) and `integration` (*.int-spec.ts,
// real Postgres/ClickHouse/Kafka/Temporal/stripe-mock started by tools/stack).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const swcConfig = JSON.parse(readFileSync(join(__dirname, '.swcrc'), 'utf8'));
const { compilerOptions } = JSON.parse(readFileSync(join(__dirname, 'tsconfig.base.json'), 'utf8'));
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(ts|js|mjs)$': ['@swc/jest', { ...swcConfig, swcrc: false }] },
  // jose ships only ES modules; transpile it to CommonJS like our own code.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.stack/'],
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools,bench}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.js',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/integration-setup.js'],
    },
  ],
};
