/**
 * Unit, stack, integration and disruptive tests; TypeScript is compiled by swc, without type
 * checks (tsc does those). Integration tests share one local cloud and run in parallel; disruptive
 * tests stop, restart, break or load a local cloud, so each file starts its own and they run one
 * at a time, never beside the other projects' tests.
 */
// This machine's Node.js is older than Lambda's 22; the AWS SDK's reminder of that is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};

const project = (displayName, extra = {}) => ({
  displayName,
  testEnvironment: 'node',
  transform,
  testMatch: [`<rootDir>/test/${displayName}/**/*.test.ts`],
  ...extra,
});

module.exports = {
  projects: [
    project('unit', { setupFiles: ['<rootDir>/test/unit/lambda-environment.ts'] }),
    project('stack'),
    project('client', { testMatch: ['<rootDir>/client/test/**/*.test.ts'] }),
    project('integration', {
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
    }),
    project('disruptive', {
      runner: '<rootDir>/test/disruptive/serial-runner.ts',
      setupFiles: ['<rootDir>/test/disruptive/no-shared-cloud.ts'],
    }),
  ],
};
