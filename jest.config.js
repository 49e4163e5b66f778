/**
 * Jest configuration: two projects.
 *  - unit: jsdom, test/unit/**
 *  - integration: node, test/integration/** (starts a real Jupyter server)
 * `npm test` runs both; `npm run test:unit` / `npm run test:integration` run one.
 * CI: `npx jest --json --outputFile=test-output/jest.json`.
 */
const esmPackages = [
  '@jupyterlab',
  '@jupyter',
  '@codemirror',
  '@lezer',
  '@microsoft',
  'lib0',
  'yjs',
  'y-protocols',
  'marked',
  'nanoid',
  'color',
  'exenv-es6',
  'execa',
  '@sindresorhus',
  '@sec-ant',
  'figures',
  'get-stream',
  'human-signals',
  'is-plain-obj',
  'is-stream',
  'is-unicode-supported',
  'npm-run-path',
  'path-key',
  'parse-ms',
  'pretty-ms',
  'strip-final-newline',
  'unicorn-magic',
  'yoctocolors',
  'vscode-ws-jsonrpc'
].join('|');

const common = {
  roots: ['<rootDir>/src', '<rootDir>/test'],
  modulePathIgnorePatterns: [
    '<rootDir>/.venv',
    '<rootDir>/python_helper',
    '<rootDir>/lib'
  ],
  transform: {
    '^.+\\.(t|j)sx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages})/)`],
  moduleNameMapper: {
    '\\.(css|less|sass|scss)$': '<rootDir>/test/setup/styleMock.js',
    '\\.(svg)$': '<rootDir>/test/setup/svgMock.js'
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'jsx', 'json', 'node']
};

module.exports = {
  cacheDirectory: '<rootDir>/.jest-cache',
  globalSetup: '<rootDir>/test/setup/generate.js',
  maxWorkers: 2,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testEnvironment: 'jsdom',
      setupFiles: ['<rootDir>/test/setup/jsdom-polyfills.js'],
      testMatch: ['<rootDir>/test/unit/**/*.spec.ts']
    },
    {
      ...common,
      displayName: 'integration',
      testEnvironment: 'node',
      moduleNameMapper: {
        ...common.moduleNameMapper,
        // ESM-only package whose exports have no "require" condition
        '^unicorn-magic$': '<rootDir>/node_modules/unicorn-magic/node.js'
      },
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts']
    }
  ]
};
