/**
 * End-to-end tests (test/e2e/*.spec.ts) on Galata, JupyterLab's UI-test layer on Playwright: a real
 * `jupyter lab` from .venv with the built wheel installed (run `bash scripts/build` first), a real ipykernel,
 * Cython and gcc, in Debian's headless chromium. `npx playwright test` (scripts/test runs it).
 *
 * One project per story (spec file), each with its own server (test/e2e/jupyter_server_test_config.py) on a
 * free port of 127.0.0.1 and its own temp folder (root, cache…), as a user's own session would be:
 * `cython-pin` (the main story), `build-ahead`, `pin-panel`, and `team-cache` (its kernels also see a signed `file://`
 * team store). Screenshots (one per step) and the browser figures (perf.json, perf-ahead.json: benchmarks/
 * reads them) go to test-output/e2e/, the JSON report to test-output/e2e.json (scripts/test counts from it).
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defineConfig } from '@playwright/test';
import baseConfig from '@jupyterlab/galata/lib/playwright-config';

// Debian's chromium and the flags it needs here (shared with scripts/browser-check).
const chromium = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'test', 'e2e', 'chromium.json'), 'utf8')
);

/**
 * A free port and a temp folder name for one server, chosen once: Playwright loads this file again in each
 * worker, which inherits the runner's environment and so sees the same choice.
 */
function server(name: string): { port: string; dir: string } {
  const key = `CYTHON_PIN_E2E_${name.toUpperCase().replace(/-/g, '_')}`;
  if (!process.env[`${key}_PORT`]) {
    // Ask the kernel for a free port on 127.0.0.1 (synchronously: the config must be built synchronously).
    process.env[`${key}_PORT`] = execFileSync(
      'python3',
      [
        '-c',
        'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
      ],
      { encoding: 'utf8' }
    ).trim();
    process.env[`${key}_DIR`] = path.join(
      os.tmpdir(),
      `cython-pin-e2e-${name}-${crypto.randomBytes(6).toString('hex')}`
    );
  }
  return {
    port: process.env[`${key}_PORT`]!,
    dir: process.env[`${key}_DIR`]!
  };
}
fs.mkdirSync(path.join(__dirname, 'test-output'), { recursive: true });

const jupyter = path.join(__dirname, '.venv', 'bin', 'jupyter');
const serverConfig = path.join(
  __dirname,
  'test',
  'e2e',
  'jupyter_server_test_config.py'
);
/** The stories: test/e2e/<name>.spec.ts, and what their server's kernels see beyond the defaults. */
const stories: { name: string; env?: { [name: string]: string } }[] = [
  { name: 'cython-pin' },
  { name: 'build-ahead' },
  { name: 'pin-panel' },
  { name: 'team-cache', env: { CYTHON_PIN_E2E_TEAM: '1' } }
];
const servers = stories.map(({ name, env }) => ({
  name,
  env,
  ...server(name)
}));

export default defineConfig({
  ...baseConfig,
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
  // Emptied at the start of each run: screenshots and perf figures.
  outputDir: 'test-output/e2e',
  // Each file is one story whose steps build on each other; the machine has two cores.
  workers: 1,
  timeout: 240000,
  expect: { timeout: 30000 },
  reporter: [['list'], ['json', { outputFile: 'test-output/e2e.json' }]],
  use: {
    ...baseConfig.use,
    viewport: { width: 1400, height: 850 },
    // Galata's default records a video: that needs Playwright's own ffmpeg download, which cannot work here.
    video: 'off',
    // Recording a trace slows every step down severalfold on this 2-core machine; a failed step leaves its
    // screenshot. For a trace: `npx playwright test --trace=on`.
    trace: 'off',
    launchOptions: { ...chromium, headless: true }
  },
  projects: servers.map(s => ({
    name: s.name,
    testMatch: `${s.name}.spec.ts`,
    use: { baseURL: `http://127.0.0.1:${s.port}` },
    metadata: { serverDir: s.dir }
  })),
  webServer: servers.map(s => ({
    name: s.name,
    // The server's log: test-output/e2e-<name>-server.log (outside outputDir, which Playwright empties after
    // the servers have started).
    // `exec`: the shell becomes the server, so the graceful shutdown below waits for the server itself.
    command: `exec ${jupyter} lab --config ${serverConfig} > test-output/e2e-${s.name}-server.log 2>&1`,
    url: `http://127.0.0.1:${s.port}/lab`,
    env: { CYTHON_PIN_E2E_DIR: s.dir, CYTHON_PIN_E2E_PORT: s.port, ...s.env },
    timeout: 120000,
    reuseExistingServer: false,
    // SIGTERM: the server shuts its kernels down and removes its temp folder.
    gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 20000 }
  }))
});
