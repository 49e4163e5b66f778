/**
 * One story per spec file: its steps run in order (`test.describe.configure({ mode: 'serial' })`) on one
 * Galata page opened in `beforeAll`, so they share a notebook and its kernel as a user's session does.
 * `Story` opens and closes that page, saves a screenshot after each step, and gives the steps the actions a
 * user takes on a cython_pin notebook, built on Galata's helpers (`page.notebook`, `page.sidebar`,
 * `page.menu`, `page.theme`, `page.contents`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Browser, Locator, TestInfo, expect } from '@playwright/test';
import { IJupyterLabPageFixture, galata, test } from '@jupyterlab/galata';

export const ROOT = path.resolve(__dirname, '..', '..');
/** Playwright's outputDir (emptied at the start of each run): screenshots and figures. */
export const OUT = path.join(ROOT, 'test-output', 'e2e');

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The hooks of a story's spec file: the story starts before its first step (handed to `started`), a
 * screenshot is saved after each step, and the story closes after the last.
 */
export function storyHooks(started: (story: Story) => void): void {
  let story: Story | undefined;
  test.beforeAll(async ({ browser }, testInfo) => {
    story = await Story.start(browser, testInfo);
    started(story);
  });
  test.afterAll(async () => {
    await story?.close();
  });
  // eslint-disable-next-line no-empty-pattern
  test.afterEach(async ({}, testInfo) => {
    await story?.screenshot(testInfo);
  });
}

export class Story {
  /** Errors the browser console showed (checked by the last step of each story). */
  readonly consoleErrors: string[] = [];

  private constructor(
    readonly page: IJupyterLabPageFixture,
    /** The server's temp folder (test/e2e/jupyter_server_test_config.py): root/, cache/, store/… */
    readonly serverDir: string,
    /** The story's folder in the server's root. */
    readonly folder: string
  ) {
    page.on('console', msg => {
      if (msg.type() === 'error') {
        this.consoleErrors.push(msg.text());
      }
    });
    page.on('pageerror', err => this.consoleErrors.push(String(err)));
  }

  /**
   * A Galata page on this project's server (its baseURL), JupyterLab loaded, and a folder of the server's root
   * named after the spec file, where the story keeps its notebooks (the file browser shows it).
   */
  static async start(browser: Browser, testInfo: TestInfo): Promise<Story> {
    const { page } = await galata.newPage({
      browser,
      baseURL: testInfo.project.use.baseURL!,
      autoGoto: false,
      // The real kernels and sessions API: Galata's in-memory proxy of it loses the kernel's connection
      // after a restart. close() shuts the story's kernels down.
      mockKernels: false,
      mockSessions: false,
      waitForApplication: async p => {
        await p.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
      }
    });
    await page.goto();
    const folder = path.basename(testInfo.file, '.spec.ts');
    expect(await page.contents.createDirectory(folder)).toBe(true);
    return new Story(
      page,
      testInfo.project.metadata.serverDir as string,
      folder
    );
  }

  async close(): Promise<void> {
    await this.page.kernel.shutdownAll();
    await this.page.context().close();
  }

  /** test-output/e2e/<spec>-<step>.png after each step (…-FAILED.png when it failed). */
  async screenshot(testInfo: TestInfo): Promise<void> {
    const spec = path.basename(testInfo.file, '.spec.ts');
    const step = testInfo.title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .slice(0, 60)
      .replace(/^-|-$/g, '');
    const failed = testInfo.status !== testInfo.expectedStatus;
    const file = path.join(
      OUT,
      `${spec}-${step}${failed ? '-FAILED' : ''}.png`
    );
    await this.page.screenshot({ path: file });
  }

  /** The kernels' cython_pin cache. */
  get cacheDir(): string {
    return path.join(this.serverDir, 'cache');
  }

  /** Keys of the builds in the cache (one folder per key). */
  cacheEntries(): string[] {
    return fs
      .readdirSync(this.cacheDir)
      .filter(name => HEX64.test(name))
      .sort();
  }

  /** Put a notebook of code cells with these sources (python3 kernelspec) on the server, and open it. */
  async openNew(name: string, sources: string[]): Promise<void> {
    const cells = sources.map(source =>
      galata.Notebook.makeCell({ cell_type: 'code', source })
    );
    await this.upload(
      name,
      JSON.stringify(galata.Notebook.makeNotebook(cells))
    );
    await this.open(name);
  }

  /** Put a file with this text in the story's folder. */
  async upload(name: string, text: string): Promise<void> {
    expect(
      await this.page.contents.uploadContent(
        text,
        'text',
        `${this.folder}/${name}`
      )
    ).toBe(true);
  }

  /** Open a notebook of the story's folder from the file browser and wait for its kernel to be idle. */
  async open(name: string): Promise<void> {
    await this.page.filebrowser.refresh();
    expect(await this.page.notebook.openByPath(`${this.folder}/${name}`)).toBe(
      true
    );
    await this.cell(0).waitFor();
    await this.waitIdle();
  }

  get panel(): Locator {
    return this.page.locator('.jp-NotebookPanel:visible');
  }

  cell(i: number): Locator {
    return this.panel.locator('.jp-Notebook .jp-Cell').nth(i);
  }

  output(i: number): Locator {
    return this.cell(i).locator('.jp-OutputArea-output');
  }

  /** The rendered cython_pin build result in cell i's output. */
  result(i: number): Locator {
    return this.output(i).locator('.jp-CythonPin-result');
  }

  async cellCount(): Promise<number> {
    return this.panel.locator('.jp-Notebook .jp-Cell').count();
  }

  /** Wait for the kernel to be Idle, as the status bar shows it. */
  async waitIdle(timeout = 120000): Promise<void> {
    await this.page
      .locator('#jp-main-statusbar')
      .getByText(/\|\s*Idle/)
      .first()
      .waitFor({ timeout });
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

  /**
   * Replace cell i's text with `text` in one input event, as a paste does: Galata's setCell types key by
   * key, and the editor's auto-indent would then re-indent the Cython we type. Checks the editor holds it.
   */
  async typeInCell(i: number, text: string): Promise<void> {
    await this.cell(i).locator('.cm-content').click();
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.press('Delete');
    await this.page.keyboard.insertText(text);
    expect(await this.cellText(i)).toBe(text);
  }

  /**
   * Append a code cell holding `text` (select the last cell, the notebook toolbar's insert button); returns
   * its index. Not Galata's addCell: that also goes through the cell type menu and edit mode, a few seconds a
   * cell, and a story adds dozens.
   */
  async appendCell(text: string): Promise<number> {
    const n = await this.cellCount();
    expect(await this.page.notebook.selectCells(n - 1)).toBe(true);
    expect(await this.page.notebook.clickToolbarItem('insert')).toBe(true);
    await this.cell(n).waitFor();
    await this.typeInCell(n, text);
    return n;
  }

  async prompt(i: number): Promise<string> {
    return (
      await this.cell(i).locator('.jp-InputArea-prompt').innerText()
    ).trim();
  }

  /** Run cell i in place and wait until it has run. */
  async run(i: number): Promise<void> {
    expect(await this.page.notebook.runCell(i, { inplace: true })).toBe(true);
    await this.waitIdle();
  }

  /** Append a code cell with `text` and start it; returns its index once it shows [*] (still running). */
  async startCell(text: string): Promise<number> {
    const i = await this.appendCell(text);
    expect(
      await this.page.notebook.runCell(i, { inplace: true, wait: false })
    ).toBe(true);
    await expect.poll(() => this.prompt(i), { timeout: 10000 }).toBe('[*]:');
    return i;
  }

  /** Append a code cell with `text`, run it, and return its output text. */
  async runPython(text: string): Promise<string> {
    const i = await this.appendCell(text);
    await this.run(i);
    return (await this.output(i).allInnerTexts()).join('\n');
  }

  /** The cell toolbar's Compile button of cell i (the toolbar shows on the active cell). */
  compileButton(i: number): Locator {
    return this.cell(i).locator('.jp-cell-toolbar .jp-ToolbarButtonComponent', {
      hasText: 'Compile'
    });
  }

  /** Select cell i and wait for its Compile button to be enabled (the kernel helper is connected). */
  async readyToCompile(i: number): Promise<Locator> {
    await this.cell(i).locator('.cm-content').click();
    const button = this.compileButton(i);
    try {
      await expect(button).toBeEnabled({ timeout: 60000 });
    } catch (e) {
      // the button's caption says why Compile is unavailable (the helper connection's state)
      const why = await button.getAttribute('title').catch(() => null);
      throw new Error(
        `Compile of cell ${i} stayed disabled: ${why ?? 'no caption'}\n${String(e)}`
      );
    }
    return button;
  }

  /** Press cell i's Compile button and wait until the build ran. */
  async compile(i: number): Promise<void> {
    const before = await this.prompt(i);
    await (await this.readyToCompile(i)).click();
    await this.waitExecuted(i, before);
  }

  /**
   * Start watching cell i: `shown` resolves to the milliseconds from `typed` reaching its editor to the first
   * element matching `selector` in the cell, measured in the page. Await this before typing (the watch is in
   * place then), and `shown` after.
   */
  async watchTyping(
    i: number,
    typed: string,
    selector: string
  ): Promise<{ shown: Promise<number> }> {
    const cell = await this.cell(i).elementHandle();
    const shown = this.page.evaluate(
      ({ node, typed, selector }) =>
        new Promise<number>((resolve, reject) => {
          const content = node?.querySelector('.cm-content');
          if (!node || !content) {
            return reject(new Error('cell editor not found'));
          }
          // The moment the typed text is in the editor (a decoration may change the DOM too).
          let t0 = -1;
          const typing = new MutationObserver(() => {
            if (t0 < 0 && content.textContent?.includes(typed)) {
              t0 = performance.now();
            }
          });
          typing.observe(content, {
            childList: true,
            subtree: true,
            characterData: true
          });
          const shown = new MutationObserver(() => {
            if (t0 >= 0 && node.querySelector(selector)) {
              typing.disconnect();
              shown.disconnect();
              resolve(performance.now() - t0);
            }
          });
          shown.observe(node, { childList: true, subtree: true });
          setTimeout(() => reject(new Error(`no ${selector} in 60 s`)), 60000);
        }),
      { node: cell, typed, selector }
    );
    return { shown };
  }

  /**
   * Like compile(), but returns the milliseconds from the click to the moment the cell is done: a new build
   * result is in the cell's DOM and its prompt shows the new execution count. Measured inside the page
   * (performance.now()), so Playwright's own round trips do not count.
   */
  async timedCompile(i: number): Promise<number> {
    const before = await this.prompt(i);
    const button = await this.readyToCompile(i);
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
    await expect.poll(() => this.prompt(i), { timeout }).toMatch(/^\[\d+\]:$/);
    await expect.poll(() => this.prompt(i), { timeout }).not.toBe(before);
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

  /** Show the Cython Pins panel (its tab in the right sidebar). */
  async openPinPanel(): Promise<Locator> {
    await this.page.sidebar.openTab('jp-CythonPin-pinManager');
    const panel = this.page.locator('.jp-CythonPin-panel');
    await panel.waitFor({ state: 'visible' });
    return panel;
  }

  pinRow(alias: string): Locator {
    return this.page.locator(
      `.jp-CythonPin-panel .jp-CythonPin-pinRow[data-alias="${alias}"]`
    );
  }

  /**
   * Make the Cython Pins panel `width` px wide by dragging the right sidebar's handle (Galata's
   * sidebar.setWidth), correcting for the sidebar's own frame; returns the width reached (±4 px asked).
   */
  async setPinPanelWidth(width: number): Promise<number> {
    const panel = this.page.locator('.jp-CythonPin-panel');
    let target = width;
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await this.page.sidebar.setWidth(target, 'right')).toBe(true);
      const reached = (await panel.boundingBox())?.width ?? 0;
      if (Math.abs(reached - width) <= 4) {
        return reached;
      }
      target += width - reached;
    }
    return (await panel.boundingBox())?.width ?? 0;
  }

  /** Switch the theme (Galata's theme helper) and wait until the page uses it. */
  async setTheme(name: 'JupyterLab Light' | 'JupyterLab Dark'): Promise<void> {
    await this.page.theme.setTheme(name);
    await this.page
      .locator(`body[data-jp-theme-name="${name}"]`)
      .waitFor({ state: 'attached', timeout: 30000 });
  }

  /**
   * Restart the kernel through the Kernel menu and wait until it is idle; `wait: false` returns once the
   * restart is confirmed, while the new kernel is still starting.
   */
  async restartKernel({ wait = true } = {}): Promise<void> {
    await this.page.menu.clickMenuItem('Kernel>Restart Kernel…');
    await this.answerDialog();
    if (wait) {
      await this.waitIdle();
    }
  }

  async interruptKernel(): Promise<void> {
    await this.page.menu.clickMenuItem('Kernel>Interrupt Kernel');
  }
}
