/**
 * End-to-end harness: start a real `jupyter lab` (from .venv, with the built wheel installed) and Debian's
 * headless chromium, and stop exactly the processes started here (the server, the kernels it started, the
 * browser), recorded in test-output/e2e/pids.txt so scripts/test can check none is left.
 */
import { ChildProcess, execSync, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { BrowserContext, Locator, Page, chromium } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..');
export const OUT = path.join(ROOT, 'test-output', 'e2e');
const VENV_BIN = path.join(ROOT, '.venv', 'bin');
// Debian's chromium and the flags it needs here (shared with scripts/browser-check).
const CHROMIUM: { executablePath: string; args: string[] } = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'chromium.json'), 'utf8')
);
const PIDS_FILE = path.join(OUT, 'pids.txt');

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** A process we started: its PID and its start time (so a reused PID is never mistaken for it). */
export interface IProc {
  pid: number;
  start: string;
}

/** /proc/<pid>/stat fields after "pid (comm)": [0] state, [1] ppid, ..., [19] start time. */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: the fields start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function startTime(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

const recorded = new Set<string>();

/** Remember a process we started (test-output/e2e/pids.txt: "pid start-time role"). */
function record(pid: number | undefined, role: string): IProc | null {
  const start = pid ? startTime(pid) : null;
  if (!pid || start === null) {
    return null;
  }
  if (!recorded.has(`${pid} ${start}`)) {
    recorded.add(`${pid} ${start}`);
    fs.appendFileSync(PIDS_FILE, `${pid} ${start} ${role}\n`);
  }
  return { pid, start };
}

function alive(p: IProc): boolean {
  return startTime(p.pid) === p.start;
}

/** Every process (pid, parent pid, command line) from /proc. */
function processTable(): { pid: number; ppid: number; cmd: string }[] {
  const rows = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    const fields = statFields(name);
    try {
      const cmd = fs
        .readFileSync(`/proc/${name}/cmdline`, 'utf8')
        .replace(/\0/g, ' ');
      if (fields) {
        rows.push({ pid: Number(name), ppid: Number(fields[1]), cmd });
      }
    } catch {
      // the process ended while we looked
    }
  }
  return rows;
}

/** PIDs of every descendant of `root`. */
export function descendants(root: number): number[] {
  const table = processTable();
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length) {
    const next = table.filter(p => frontier.includes(p.ppid)).map(p => p.pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

async function killAndWait(procs: IProc[], graceMs: number): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const left = procs.filter(alive);
    if (!left.length) {
      return;
    }
    for (const p of left) {
      try {
        process.kill(p.pid, signal);
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && procs.some(alive)) {
      await sleep(100);
    }
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Clock ticks per second of /proc/<pid>/stat times. */
const CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

/**
 * CPU seconds a process has used: its own user and system time plus that of the children it has waited
 * for (a build's compiler runs are counted once they end). Null when the process is gone.
 */
export function cpuSeconds(pid: number): number | null {
  const f = statFields(pid);
  if (!f) {
    return null;
  }
  // Fields 14-17 of /proc/<pid>/stat: utime, stime, cutime, cstime.
  return (
    (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK
  );
}

/**
 * CPU seconds used by a process and everything under it: each live process's own and waited-for children's
 * time (a process that ended is counted in its parent's once waited for, and never twice).
 */
export function treeCpuSeconds(pid: number): number | null {
  const own = cpuSeconds(pid);
  if (own === null) {
    return null;
  }
  return descendants(pid).reduce((sum, p) => sum + (cpuSeconds(p) ?? 0), own);
}

/** The first descendant of `root` whose command line contains `text`. */
export function findDescendant(root: number, text: string): number | null {
  const mine = new Set(descendants(root));
  return (
    processTable().find(p => mine.has(p.pid) && p.cmd.includes(text))?.pid ??
    null
  );
}

export interface ILab {
  url: string; // http://127.0.0.1:<port>/
  token: string;
  tmp: string;
  rootDir: string;
  cacheDir: string;
  proc: ChildProcess;
  server: IProc | null;
  kernels: Map<number, IProc>;
}

export interface IStartLabOptions {
  /** More environment for the server and its kernels (e.g. the team cache's CYTHON_PIN_REMOTE…). */
  env?: { [name: string]: string };
  /** Names the server log, test-output/e2e/<name>-server.log, when several test files start servers. */
  name?: string;
}

/** Start `jupyter lab` on 127.0.0.1 and a free port, in temp dirs; resolves once its API answers. */
export async function startLab(options: IStartLabOptions = {}): Promise<ILab> {
  fs.mkdirSync(OUT, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cython-pin-e2e-'));
  const dirs = Object.fromEntries(
    ['root', 'workspaces', 'cache', 'config', 'data', 'runtime', 'ipython'].map(
      d => {
        fs.mkdirSync(path.join(tmp, d));
        return [d, path.join(tmp, d)];
      }
    )
  );
  // No "get notified about news?" toast over the page.
  fs.mkdirSync(path.join(dirs.config, 'labconfig'));
  fs.writeFileSync(
    path.join(dirs.config, 'labconfig', 'page_config.json'),
    JSON.stringify({
      disabledExtensions: {
        '@jupyterlab/apputils-extension:announcements': true
      }
    })
  );
  const port = await freePort();
  const token = crypto.randomBytes(24).toString('hex');
  const url = `http://127.0.0.1:${port}/`;
  const logName = options.name
    ? `${options.name}-server.log`
    : 'jupyter-server.log';
  const log = fs.openSync(path.join(OUT, logName), 'w');
  const proc = spawn(
    path.join(VENV_BIN, 'jupyter-lab'),
    [
      '--no-browser',
      '--allow-root',
      '--ip=127.0.0.1',
      `--port=${port}`,
      '--ServerApp.port_retries=0',
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${dirs.root}`,
      `--LabApp.workspaces_dir=${dirs.workspaces}`,
      '--LabApp.news_url=None',
      '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate'
    ],
    {
      cwd: dirs.root,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        PATH: `${VENV_BIN}:${process.env.PATH}`,
        CYTHON_PIN_CACHE_DIR: dirs.cache,
        // Nothing from the user's own Jupyter/IPython set-up (kernelspecs, extensions, profiles).
        JUPYTER_CONFIG_DIR: dirs.config,
        JUPYTER_DATA_DIR: dirs.data,
        JUPYTER_RUNTIME_DIR: dirs.runtime,
        IPYTHONDIR: dirs.ipython,
        JUPYTER_PLATFORM_DIRS: '1',
        ...options.env
      }
    }
  );
  fs.closeSync(log);
  const lab: ILab = {
    url,
    token,
    tmp,
    rootDir: dirs.root,
    cacheDir: dirs.cache,
    proc,
    server: record(proc.pid, 'jupyter-lab'),
    kernels: new Map()
  };
  const deadline = Date.now() + 90000;
  for (;;) {
    if (proc.exitCode !== null) {
      throw new Error(
        `jupyter lab exited with ${proc.exitCode}: see test-output/e2e/${logName}`
      );
    }
    try {
      const r = await fetch(`${url}api/status?token=${token}`);
      if (r.ok) {
        return lab;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `jupyter lab did not answer within 90 s: see test-output/e2e/${logName}`
      );
    }
    await sleep(250);
  }
}

/** Remember the kernels (children of the server) so that they are stopped even if the server is not. */
export function trackKernels(lab: ILab): void {
  if (!lab.server || !alive(lab.server)) {
    return;
  }
  for (const pid of descendants(lab.server.pid)) {
    if (!lab.kernels.has(pid)) {
      const p = record(pid, 'kernel');
      if (p) {
        lab.kernels.set(pid, p);
      }
    }
  }
}

/** Stop the server (API shutdown, then signals) and whatever it started; remove the temp dirs. */
export async function stopLab(lab: ILab | undefined): Promise<void> {
  if (!lab) {
    return;
  }
  trackKernels(lab);
  const server = lab.server;
  if (server && alive(server)) {
    try {
      await fetch(`${lab.url}api/shutdown?token=${lab.token}`, {
        method: 'POST',
        signal: AbortSignal.timeout(5000)
      });
    } catch {
      // fall through to signals
    }
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline && alive(server)) {
      await sleep(100);
    }
  }
  await killAndWait(server ? [server] : [], 5000);
  await killAndWait([...lab.kernels.values()], 5000);
  fs.rmSync(lab.tmp, { recursive: true, force: true });
}

export interface IBrowserSession {
  context: BrowserContext;
  page: Page;
  profile: string;
  procs: IProc[];
  consoleErrors: string[];
}

/** The browser processes: the ones using our fresh profile dir. */
function browserProcs(profile: string): IProc[] {
  return processTable()
    .filter(p => p.cmd.includes(profile))
    .map(p => record(p.pid, 'chromium'))
    .filter((p): p is IProc => p !== null);
}

/** Debian chromium, headless, a fresh profile, viewport 1400×850. */
export async function startBrowser(): Promise<IBrowserSession> {
  const profile = fs.mkdtempSync(
    path.join(os.tmpdir(), 'cython-pin-e2e-chromium-')
  );
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM.executablePath,
    args: CHROMIUM.args,
    headless: true,
    viewport: { width: 1400, height: 850 }
  });
  const procs = browserProcs(profile);
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on('console', msg => {
    if (msg.type() === 'error') {
      consoleErrors.push(msg.text());
    }
  });
  page.on('pageerror', err => consoleErrors.push(String(err)));
  return { context, page, profile, procs, consoleErrors };
}

export async function stopBrowser(
  session: IBrowserSession | undefined
): Promise<void> {
  if (!session) {
    return;
  }
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      session.context.close(),
      new Promise(resolve => (timer = setTimeout(resolve, 10000)))
    ]).finally(() => clearTimeout(timer));
  } catch {
    // killed below
  }
  await killAndWait([...session.procs, ...browserProcs(session.profile)], 5000);
  fs.rmSync(session.profile, { recursive: true, force: true });
  // For debugging a failure (not asserted: JupyterLab itself may log errors unrelated to this extension).
  fs.writeFileSync(
    path.join(OUT, 'browser-console-errors.txt'),
    session.consoleErrors.join('\n')
  );
}

/** Create a notebook through the contents API (python3 kernelspec, code cells with these sources). */
export async function putNotebook(
  lab: ILab,
  name: string,
  sources: string[]
): Promise<void> {
  const content = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3 (ipykernel)',
        language: 'python'
      },
      language_info: { name: 'python' }
    },
    cells: sources.map((source, i) => ({
      cell_type: 'code',
      id: `cell-${i}`,
      metadata: {},
      execution_count: null,
      outputs: [],
      source
    }))
  };
  const r = await fetch(
    `${lab.url}api/contents/${encodeURIComponent(name)}?token=${lab.token}`,
    {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'notebook', format: 'json', content })
    }
  );
  if (!r.ok) {
    throw new Error(`PUT /api/contents/${name}: ${r.status} ${await r.text()}`);
  }
}

/** Page helpers for one open notebook. */
export class NotebookPage {
  constructor(
    readonly page: Page,
    readonly lab: ILab
  ) {}

  get panel(): Locator {
    return this.page.locator('.jp-NotebookPanel:visible');
  }

  cell(i: number): Locator {
    return this.panel.locator('.jp-Notebook .jp-Cell').nth(i);
  }

  /** The rendered cython_pin build result in cell i's output. */
  result(i: number): Locator {
    return this.output(i).locator('.jp-CythonPin-result');
  }

  output(i: number): Locator {
    return this.cell(i).locator('.jp-OutputArea-output');
  }

  async open(name: string): Promise<void> {
    await this.page.goto(
      `${this.lab.url}lab/tree/${encodeURIComponent(name)}?reset&token=${this.lab.token}`
    );
    await this.panel
      .locator('.jp-Notebook .jp-Cell')
      .first()
      .waitFor({ timeout: 90000 });
    await this.waitIdle(90000);
  }

  /** Wait for the kernel to be Idle, as the status bar shows it. */
  async waitIdle(timeout = 120000): Promise<void> {
    await this.page
      .locator('.jp-StatusBar-Widget')
      .getByText(/\|\s*Idle/)
      .first()
      .waitFor({ timeout });
    trackKernels(this.lab);
  }

  /** The cell's source as the editor shows it. */
  async cellText(i: number): Promise<string> {
    return this.cell(i)
      .locator('.cm-content')
      .evaluate(el =>
        Array.from(
          el.querySelectorAll('.cm-line'),
          line => line.textContent ?? ''
        ).join('\n')
      );
  }

  /** Type `text` into cell i (replacing its content) and check the editor holds exactly that text. */
  async typeInCell(i: number, text: string): Promise<void> {
    const editor = this.cell(i).locator('.cm-content');
    await editor.click();
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.press('Delete');
    // insertText: one input event per call, so no auto-indent or bracket closing changes what we typed.
    await this.page.keyboard.insertText(text);
    expect(await this.cellText(i)).toBe(text);
  }

  /** Append a code cell at the end with `text`; returns its index. */
  async appendCell(text: string): Promise<number> {
    const n = await this.panel.locator('.jp-Notebook .jp-Cell').count();
    await this.cell(n - 1)
      .locator('.jp-InputPrompt')
      .click();
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('b');
    await this.cell(n).waitFor();
    await this.typeInCell(n, text);
    return n;
  }

  async prompt(i: number): Promise<string> {
    return (
      await this.cell(i).locator('.jp-InputArea-prompt').innerText()
    ).trim();
  }

  /** Run cell i with Ctrl+Enter (run in place) and wait until it has run. */
  async run(i: number): Promise<void> {
    const before = await this.prompt(i);
    await this.cell(i).locator('.cm-content').click();
    await this.page.keyboard.press('Control+Enter');
    await this.waitExecuted(i, before);
  }

  /** Append a code cell with `text` and start it; returns its index once it shows [*] (still running). */
  async startCell(text: string): Promise<number> {
    const i = await this.appendCell(text);
    await this.cell(i).locator('.cm-content').click();
    await this.page.keyboard.press('Control+Enter');
    await expectPoll(
      () => this.prompt(i),
      p => p === '[*]:',
      10000,
      `cell ${i} to start running`
    );
    return i;
  }

  /** Append a code cell with `text`, run it, and return its output text. */
  async runPython(text: string): Promise<string> {
    const i = await this.appendCell(text);
    await this.run(i);
    return this.outputText(i);
  }

  /** The cell toolbar's Compile button of cell i (the toolbar shows on the active cell). */
  compileButton(i: number): Locator {
    return this.cell(i).locator('.jp-cell-toolbar .jp-ToolbarButtonComponent', {
      hasText: 'Compile'
    });
  }

  /** Select cell i, press its toolbar Compile button, wait until the build ran. */
  async compile(i: number): Promise<void> {
    const before = await this.prompt(i);
    await this.cell(i).locator('.cm-content').click();
    const button = this.compileButton(i);
    await button.waitFor({ state: 'visible', timeout: 30000 });
    await expectPoll(
      () => button.isEnabled(),
      on => on,
      60000,
      'the Compile button to be enabled'
    );
    await button.click();
    await this.waitExecuted(i, before);
  }

  /**
   * Like compile(), but returns the milliseconds from the click to the moment the cell is done: a new build
   * result is in the cell's DOM and its prompt shows the new execution count. Measured inside the page
   * (performance.now()), so Playwright's own round trips do not count.
   */
  async timedCompile(i: number): Promise<number> {
    const before = await this.prompt(i);
    await this.cell(i).locator('.cm-content').click();
    const button = this.compileButton(i);
    await expectPoll(
      () => button.isEnabled(),
      on => on,
      60000,
      'the Compile button to be enabled'
    );
    const cell = await this.cell(i).elementHandle();
    const measured = this.page.evaluate(
      (node: Element | null) =>
        new Promise<number>((resolve, reject) => {
          if (!node) {
            return reject(new Error('cell not found'));
          }
          const old = node.querySelector('.jp-CythonPin-result');
          const promptOf = () =>
            (
              node.querySelector('.jp-InputArea-prompt')?.textContent ?? ''
            ).trim();
          const oldPrompt = promptOf();
          let t0 = -1;
          node.addEventListener(
            'click',
            () => {
              if (t0 < 0) {
                t0 = performance.now();
              }
            },
            { capture: true, once: true }
          );
          const observer = new MutationObserver(() => {
            const now = node.querySelector('.jp-CythonPin-result');
            const prompt = promptOf();
            if (
              t0 >= 0 &&
              now &&
              now !== old &&
              /^\[\d+\]:$/.test(prompt) &&
              prompt !== oldPrompt
            ) {
              observer.disconnect();
              resolve(performance.now() - t0);
            }
          });
          observer.observe(node, {
            childList: true,
            subtree: true,
            characterData: true
          });
          setTimeout(() => {
            observer.disconnect();
            reject(new Error('no new build result within 60 s'));
          }, 60000);
        }),
      cell
    );
    await button.click();
    const ms = await measured;
    await this.waitExecuted(i, before);
    return ms;
  }

  /** Wait until cell i shows an execution count other than `before` (and not "[*]"), and the kernel is idle. */
  async waitExecuted(
    i: number,
    before: string,
    timeout = 180000
  ): Promise<void> {
    await expectPoll(
      () => this.prompt(i),
      prompt => /^\[\d+\]:$/.test(prompt) && prompt !== before,
      timeout,
      `cell ${i} to finish running`
    );
    await this.waitIdle(timeout);
  }

  /** The dialog's text input: fill it and press the accept button. */
  async answerDialog(value?: string): Promise<void> {
    const dialog = this.page.locator('.jp-Dialog');
    await dialog.waitFor();
    if (value !== undefined) {
      await dialog.locator('input').fill(value);
    }
    await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
    await dialog.waitFor({ state: 'detached' });
  }

  async outputText(i: number): Promise<string> {
    return (await this.output(i).allInnerTexts()).join('\n');
  }

  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: path.join(OUT, `${name}.png`) });
  }

  /** Show the Cython Pins panel (its tab in the right sidebar). */
  async openPinPanel(): Promise<void> {
    const panel = this.page.locator('.jp-CythonPin-panel');
    if (!(await panel.isVisible())) {
      await this.page
        .locator('.lm-TabBar-tab[data-id="jp-CythonPin-pinManager"]')
        .click();
    }
    await panel.waitFor({ state: 'visible' });
  }

  /**
   * Drag the split handle left of the right sidebar until the Cython Pins panel is `width` px wide (±4 px);
   * returns the width reached.
   */
  async setPinPanelWidth(width: number): Promise<number> {
    const panel = this.page.locator('.jp-CythonPin-panel');
    for (let attempt = 0; attempt < 4; attempt++) {
      const box = await panel.boundingBox();
      if (!box) {
        throw new Error('the pin panel is not shown');
      }
      if (Math.abs(box.width - width) <= 4) {
        return box.width;
      }
      // The handle of the main split panel nearest to the panel's left edge.
      const handles = await this.page
        .locator('#jp-main-split-panel > .lm-SplitPanel-handle')
        .evaluateAll(els =>
          els.map(e => {
            const r = e.getBoundingClientRect();
            return { x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width };
          })
        );
      const handle = handles
        .filter(hd => hd.w > 0)
        .sort((a, b) => Math.abs(a.x - box.x) - Math.abs(b.x - box.x))[0];
      if (!handle) {
        throw new Error('no split handle beside the pin panel');
      }
      await this.page.mouse.move(handle.x, handle.y);
      await this.page.mouse.down();
      await this.page.mouse.move(handle.x + (box.width - width), handle.y, {
        steps: 5
      });
      await this.page.mouse.up();
      await sleep(300);
    }
    const box = await panel.boundingBox();
    return box?.width ?? 0;
  }

  /** Switch the theme through Settings → Theme and wait until the page uses it. */
  async setTheme(name: 'JupyterLab Light' | 'JupyterLab Dark'): Promise<void> {
    await this.page
      .locator('.lm-MenuBar-itemLabel', { hasText: /^Settings$/ })
      .click();
    await this.page
      .locator('.lm-Menu-itemLabel', { hasText: /^Theme$/ })
      .click();
    await this.page
      .locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${name}$`) })
      .click();
    await this.page
      .locator(`body[data-jp-theme-name="${name}"]`)
      .waitFor({ state: 'attached', timeout: 30000 });
    // The theme's stylesheet is applied once the layout colour changes; give it a moment to settle.
    await sleep(1500);
  }

  pinRow(alias: string): Locator {
    return this.page.locator(
      `.jp-CythonPin-panel .jp-CythonPin-pinRow[data-alias="${alias}"]`
    );
  }

  /** Restart the kernel through the Kernel menu and wait for Idle. */
  async restartKernel(): Promise<void> {
    await this.page
      .locator('.lm-MenuBar-itemLabel', { hasText: /^Kernel$/ })
      .click();
    await this.page
      .locator('.lm-Menu-itemLabel', { hasText: /^Restart Kernel…$/ })
      .click();
    await this.page
      .locator('.jp-Dialog .jp-Dialog-button.jp-mod-accept')
      .click();
    await sleep(500);
    await this.waitIdle();
  }
}

/** Poll `get` until `ok` holds (or fail with the last value seen). */
export async function expectPoll<T>(
  get: () => Promise<T>,
  ok: (value: T) => boolean,
  timeout: number,
  what: string
): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await get();
      if (ok(last)) {
        return last;
      }
    } catch (e) {
      lastError = e;
    }
    await sleep(200);
  }
  throw new Error(
    `timed out after ${timeout} ms waiting for ${what}; last value: ${JSON.stringify(last)}` +
      (lastError ? `; last error: ${lastError}` : '')
  );
}

/**
 * Empty test-output/e2e/ once per run: the test files (run in band, in one process) share it, its figures
 * and its pids.txt, so a later file must not remove what an earlier one wrote.
 */
export function resetOutput(): void {
  // Jest gives each test file its own process.env: the run is told by the runner's PID, kept in a file.
  const mark = path.join(OUT, 'run-pid.txt');
  let owner = '';
  try {
    owner = fs.readFileSync(mark, 'utf8');
  } catch {
    // no run has written here yet
  }
  if (owner !== String(process.pid)) {
    fs.rmSync(OUT, { recursive: true, force: true });
  }
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(mark, String(process.pid));
}
