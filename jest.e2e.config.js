/**
 * End-to-end test (test/e2e/): a real `jupyter lab` from .venv with the built wheel installed, a real
 * ipykernel, Cython and gcc, driven in Debian's headless chromium through playwright-core.
 * Run it after `bash scripts/build` (scripts/test does): `npx jest -c jest.e2e.config.js --runInBand`.
 * Screenshots, server log and the PIDs it started go to test-output/e2e/.
 */
module.exports = {
  rootDir: __dirname,
  displayName: 'e2e',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  },
  moduleFileExtensions: ['ts', 'js', 'json', 'node'],
  cacheDirectory: '<rootDir>/.jest-cache/e2e',
  maxWorkers: 1,
  testTimeout: 180000
};
