/**
 * End to end, real parts only: `jupyter lab` from .venv with the built wheel installed, ipykernel, Cython,
 * gcc, and Debian's headless chromium. The steps share one notebook and run in order; each asserts what
 * the page shows and saves a screenshot to test-output/e2e/<step>.png.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NotebookPage, OUT, expectPoll, putNotebook, ROOT } from './harness';
import { lowContrast } from './contrast';
import { scenario } from './scenario';

const run = scenario();
const { step } = run;
let nb: NotebookPage;
beforeAll(() => {
  nb = run.nb;
});

const HEX64 = /^[0-9a-f]{64}$/;
/** Keys of the builds in the server's cache dir (one folder per key). */
const cacheEntries = () =>
  fs
    .readdirSync(run.lab.cacheDir)
    .filter(name => HEX64.test(name))
    .sort();
const ALIAS = 'square_e2e';
const RENAMED = 'square_renamed';
let key = '';
let squareCell = -1;

describe('jupyterlab-cython-pin in a real JupyterLab', () => {
  step(
    '0. the notebook opens with the extension loaded and a Python kernel that runs',
    'step0-open',
    async () => {
      await putNotebook(run.lab, 'e2e.ipynb', ['']);
      await nb.open('e2e.ipynb');
      const config = JSON.parse(
        (await nb.page
          .locator('#jupyter-config-data')
          .textContent({ timeout: 10000 })) ?? '{}'
      );
      const names = (config.federated_extensions ?? []).map(
        (e: { name: string }) => e.name
      );
      expect(names).toContain('jupyterlab-cython-pin');

      await nb.typeInCell(
        0,
        'import sys, cython_pin\nprint(sys.executable, cython_pin.__file__)'
      );
      await nb.run(0);
      const out = await nb.outputText(0);
      expect(out).toContain('/.venv/bin/python');
      // The helper comes from the installed wheel, not from the source tree.
      expect(out).toMatch(/site-packages\/cython_pin\/__init__\.py/);
    }
  );

  step(
    '1. Compile button: the result shows a 64-hex key and the module name; the function works',
    'step1-compile',
    async () => {
      const c = (squareCell = await nb.appendCell(
        'def square(int n):\n    return n * n'
      ));
      await nb.compile(c);
      // The Compile command made it a magic cell.
      expect((await nb.cellText(c)).split('\n')[0]).toMatch(/^%%cython_pin\b/);
      const result = nb.result(c);
      await expect(result.getAttribute('data-status')).resolves.toBe('ok');
      key =
        (await result.locator('.jp-CythonPin-key').getAttribute('title')) ?? '';
      expect(key).toMatch(HEX64);
      expect(
        key.startsWith(
          (await result.locator('.jp-CythonPin-key').innerText()).replace(
            /[….]+$/,
            ''
          )
        )
      ).toBe(true);
      await expect(
        result.locator('.jp-CythonPin-moduleName').innerText()
      ).resolves.toBe(`cython_pin_${key.slice(0, 16)}`);
      expect(await result.locator('.jp-CythonPin-fromCache').count()).toBe(0);

      expect((await nb.runPython('print(square(12))')).trim()).toBe('144');
    }
  );

  step(
    '2. Compile again: the "from cache" badge, same key',
    'step2-from-cache',
    async () => {
      const c = squareCell;
      await nb.compile(c);
      const result = nb.result(c);
      await expect(
        result.locator('.jp-CythonPin-fromCache').innerText()
      ).resolves.toBe('from cache');
      await expect(
        result.locator('.jp-CythonPin-key').getAttribute('title')
      ).resolves.toBe(key);

      // Benchmark figure P6 (read by `python -m benchmarks`), not a timing assertion.
      const samples: number[] = [];
      for (let n = 0; n < 5; n++) {
        samples.push(await nb.timedCompile(c));
        await expect(
          nb.result(c).locator('.jp-CythonPin-fromCache').innerText()
        ).resolves.toBe('from cache');
      }
      fs.writeFileSync(
        path.join(OUT, 'perf.json'),
        JSON.stringify({ P6_ms: samples }, null, 1)
      );
    }
  );

  step(
    '2b. the Compile shortcut Ctrl+Alt+B (declared in the settings schema) compiles a plain cell',
    'step2b-shortcut',
    async () => {
      const c = await nb.appendCell('def cube(int n):\n    return n * n * n');
      const before = await nb.prompt(c);
      await nb.cell(c).locator('.cm-content').click();
      await nb.page.keyboard.press('Control+Alt+b');
      await nb.waitExecuted(c, before);
      // The command ran (not a plain run): it added the magic line and rendered a build result.
      expect((await nb.cellText(c)).split('\n')[0]).toMatch(/^%%cython_pin\b/);
      await expect(nb.result(c).getAttribute('data-status')).resolves.toBe(
        'ok'
      );
      expect((await nb.runPython('print(cube(3))')).trim()).toBe('27');
    }
  );

  step(
    '2c. Compile on an empty cell says there is nothing to compile; on a markdown cell it is not shown',
    'step2c-empty-markdown',
    async () => {
      const c = await nb.appendCell('');
      await nb.cell(c).locator('.cm-content').click();
      const button = nb.compileButton(c);
      await button.waitFor({ state: 'visible', timeout: 30000 });
      await expectPoll(
        () => button.isEnabled(),
        on => on,
        60000,
        'the Compile button to be enabled'
      );
      await button.click();
      await nb.page
        .getByText('nothing to compile: the cell is empty')
        .first()
        .waitFor({ timeout: 10000 });
      expect(await nb.cellText(c)).toBe('');
      expect(await nb.prompt(c)).not.toMatch(/\d/);

      const m = await nb.appendCell('Some *notes*');
      await nb.page.keyboard.press('Escape');
      await nb.page.keyboard.press('m');
      await nb
        .cell(m)
        .locator('.jp-MarkdownCell, .jp-mod-rendered')
        .first()
        .waitFor({ state: 'attached' })
        .catch(() => undefined);
      await expect(
        nb.cell(m).evaluate(el => el.classList.contains('jp-MarkdownCell'))
      ).resolves.toBe(true);
      await expectPoll(
        () => nb.compileButton(m).isVisible(),
        visible => !visible,
        10000,
        'the Compile button to be hidden on a markdown cell'
      );
    }
  );

  step(
    '3. "Pin as…" from the result: the pin panel lists the alias with that key',
    'step3-pin',
    async () => {
      const result = nb.result(squareCell);
      await result.locator('.jp-CythonPin-pinAs').click();
      await nb.answerDialog(ALIAS);
      // The result now lists the alias.
      await result
        .locator('.jp-CythonPin-alias', { hasText: ALIAS })
        .waitFor({ timeout: 30000 });
      await nb.openPinPanel();
      const row = nb.pinRow(ALIAS);
      await row.waitFor({ timeout: 30000 });
      await expect(row.getAttribute('data-key')).resolves.toBe(key);
      await expect(
        row.locator('.jp-CythonPin-pinAlias').innerText()
      ).resolves.toBe(ALIAS);
      await expect(
        row.locator('.jp-CythonPin-pinKey').getAttribute('title')
      ).resolves.toBe(key);
    }
  );

  step(
    '3b. the pin panel at 250, 500 and 900 px: every row action is inside the panel and clickable',
    'step3b-panel-widths',
    async () => {
      await nb.openPinPanel();
      await nb.pinRow(ALIAS).waitFor({ timeout: 30000 });
      await nb.page.setViewportSize({ width: 1600, height: 900 });
      const panel = nb.page.locator('.jp-CythonPin-panel');
      for (const width of [250, 500, 900]) {
        const reached = await nb.setPinPanelWidth(width);
        expect(Math.abs(reached - width)).toBeLessThanOrEqual(4);
        const box = (await panel.boundingBox())!;
        const actions = panel.locator(
          '.jp-CythonPin-pinRow button, .jp-CythonPin-cacheRow button, .jp-CythonPin-refresh'
        );
        const n = await actions.count();
        // 5 per pin row, 1 per cache row, refresh.
        expect(n).toBeGreaterThanOrEqual(7);
        for (let i = 0; i < n; i++) {
          const b = actions.nth(i);
          await b.scrollIntoViewIfNeeded();
          expect(await b.isVisible()).toBe(true);
          const bb = (await b.boundingBox())!;
          expect(bb.width).toBeGreaterThanOrEqual(20);
          expect(bb.height).toBeGreaterThanOrEqual(20);
          expect(bb.x).toBeGreaterThanOrEqual(box.x - 0.5);
          expect(bb.x + bb.width).toBeLessThanOrEqual(box.x + box.width + 0.5);
          // Named for screen readers and explained by a tooltip.
          expect(
            (await b.getAttribute('aria-label')) ?? (await b.innerText())
          ).toMatch(/\S/);
          expect(await b.getAttribute('title')).toMatch(/\S/);
          // Actionable: visible, enabled, stable and not covered by anything else.
          await b.click({ trial: true, timeout: 5000 });
        }
        // A pin row stays compact: its details and toolbar take at most two lines.
        const rowBox = (await nb.pinRow(ALIAS).boundingBox())!;
        expect(rowBox.height).toBeLessThanOrEqual(80);
        await nb.page.screenshot({
          path: path.join(OUT, `panel-${width}.png`),
          clip: {
            x: box.x,
            y: box.y,
            width: box.width,
            height: Math.min(box.height, 600)
          }
        });
      }
      // The danger action looks different from the others.
      const fill = (cls: string) =>
        nb
          .pinRow(ALIAS)
          .locator(`${cls} svg .jp-icon3[fill]`)
          .first()
          .evaluate(e => getComputedStyle(e).fill);
      expect(await fill('.jp-CythonPin-unpin')).not.toBe(
        await fill('.jp-CythonPin-copy')
      );
      await expect(
        nb.pinRow(ALIAS).locator('.jp-CythonPin-unpin').getAttribute('class')
      ).resolves.toContain('jp-mod-danger');
      await nb.setPinPanelWidth(320);
      await nb.page.setViewportSize({ width: 1400, height: 850 });
    }
  );

  step(
    '3c. Insert import and Import bind the same names; the inserted cell is scrolled into view and announced',
    'step3c-insert-import',
    async () => {
      await nb.runPython('del square');
      const n = await nb.panel.locator('.jp-Notebook .jp-Cell').count();
      await nb.openPinPanel();
      await nb.pinRow(ALIAS).locator('.jp-CythonPin-insertImport').click();
      // Inserted below the active (last) cell.
      await nb.cell(n).waitFor();
      expect(await nb.cellText(n)).toBe(
        `from cython_pin import import_pinned\nimport_pinned("${ALIAS}", into=globals())`
      );
      await expectPoll(
        async () => {
          const area = (await nb.panel
            .locator('.jp-WindowedPanel-outer')
            .boundingBox())!;
          const cell = (await nb.cell(n).boundingBox())!;
          return (
            cell.y >= area.y - 1 &&
            cell.y + cell.height <= area.y + area.height + 1
          );
        },
        inView => inView,
        10000,
        'the inserted cell to be in view'
      );
      await nb.page
        .getByText(`inserted the import of "${ALIAS}" as cell ${n + 1}`)
        .first()
        .waitFor({ timeout: 10000 });
      await nb.run(n);
      expect((await nb.runPython('print(square(7))')).trim()).toBe('49');

      await nb.runPython('del square');
      await nb.openPinPanel();
      await nb.pinRow(ALIAS).locator('.jp-CythonPin-import').click();
      await nb.page
        .getByText(/Imported square_e2e .* into the kernel: square\./)
        .first()
        .waitFor({ timeout: 30000 });
      expect((await nb.runPython('print(square(8))')).trim()).toBe('64');
      // Neither bound a module under the alias.
      expect(
        (await nb.runPython(`print("${ALIAS}" in globals())`)).trim()
      ).toBe('False');
    }
  );

  step(
    '4. restart the kernel; import_pinned(alias) works with no recompile',
    'step4-restart-import',
    async () => {
      const builds = cacheEntries();
      expect(builds).toContain(key);
      await nb.restartKernel();
      const out = await nb.runPython(
        'from cython_pin import import_pinned, import_pinned_result\n' +
          `m = import_pinned("${ALIAS}")\n` +
          `r = import_pinned_result("${ALIAS}")\n` +
          'print(m.square(12), r.used_cache, r.key)'
      );
      expect(out.trim()).toBe(`144 True ${key}`);
      // Nothing was built: the cache holds the same entries as before the restart.
      expect(cacheEntries()).toEqual(builds);
    }
  );

  step(
    '5. a Cython error: failure renderer with the line, failed cell, lint marker on that line',
    'step5-error',
    async () => {
      // Line 3 of the cell (the %%cython_pin line is line 1) assigns a str to a C int.
      const c = await nb.appendCell(
        '%%cython_pin\ndef broken(int n):\n    cdef int x = "not an int"\n    return x + n'
      );
      await nb.compile(c);
      const result = nb.result(c);
      await expect(result.getAttribute('data-status')).resolves.toBe('error');
      const diag = result
        .locator('.jp-CythonPin-diagnostic.jp-mod-error')
        .first();
      await expect(diag.getAttribute('data-line')).resolves.toBe('3');
      expect(await diag.innerText()).toMatch(/^3:\d+ error /);
      // The cell failed: an error output (traceback) and the cell's marker says so.
      const traceback = nb
        .cell(c)
        .locator(
          '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        );
      await expect(traceback.innerText()).resolves.toMatch(
        /line 3|3:\d+ error/
      );
      await expect(
        nb
          .cell(c)
          .locator('.jp-CythonPin-cellMarker')
          .getAttribute('data-phase')
      ).resolves.toBe('error');
      // The editor marks line 3.
      const line3 = nb.cell(c).locator('.cm-line').nth(2);
      await line3
        .locator('.cm-lintRange-error')
        .first()
        .waitFor({ timeout: 10000 });
      await nb
        .cell(c)
        .locator('.cm-lint-marker-error')
        .first()
        .waitFor({ timeout: 10000 });
    }
  );

  step(
    '6. rename and unpin from the panel; list_pins() agrees',
    'step6-rename-unpin',
    async () => {
      await nb.openPinPanel();
      await nb.pinRow(ALIAS).locator('.jp-CythonPin-rename').click();
      await nb.answerDialog(RENAMED);
      await nb.pinRow(RENAMED).waitFor({ timeout: 30000 });
      await expect(nb.pinRow(RENAMED).getAttribute('data-key')).resolves.toBe(
        key
      );
      await nb.pinRow(ALIAS).waitFor({ state: 'detached', timeout: 10000 });
      await nb.shot('step6a-renamed');
      expect(
        (
          await nb.runPython('import cython_pin\nprint(cython_pin.list_pins())')
        ).trim()
      ).toBe(`{'${RENAMED}': '${key}'}`);

      await nb.openPinPanel();
      await nb.pinRow(RENAMED).locator('.jp-CythonPin-unpin').click();
      await nb.answerDialog();
      await nb.pinRow(RENAMED).waitFor({ state: 'detached', timeout: 30000 });
      await nb.page
        .locator(
          '.jp-CythonPin-panel .jp-CythonPin-pinTable .jp-CythonPin-empty'
        )
        .waitFor();
      expect((await nb.runPython('print(cython_pin.list_pins())')).trim()).toBe(
        '{}'
      );
    }
  );

  step(
    '7. an --annotate build shows the annotation view',
    'step7-annotate',
    async () => {
      const source = [
        '%%cython_pin --annotate',
        'def total(int n):',
        '    cdef long s = 0',
        '    cdef int i',
        '    for i in range(n):',
        '        s += i * i',
        '    return s'
      ].join('\n');
      const c = await nb.appendCell(source);
      await nb.compile(c);
      const result = nb.result(c);
      await expect(result.getAttribute('data-status')).resolves.toBe('ok');
      const view = result.locator('.jp-CythonPin-annotation');
      await view.waitFor({ state: 'visible' });
      const lines = view.locator('.jp-CythonPin-annotLine');
      expect(await lines.count()).toBeGreaterThanOrEqual(4);
      // The loop line shows its source; some line talks to Python (score > 0); a line opens to its C code.
      await expect(
        view
          .locator('.jp-CythonPin-annotLine', { hasText: 'for i in range(n):' })
          .count()
      ).resolves.toBe(1);
      const scores = await lines.evaluateAll(els =>
        els.map(e => Number(e.getAttribute('data-score')))
      );
      expect(Math.max(...scores)).toBeGreaterThan(0);
      const returnLine = view.locator('.jp-CythonPin-annotLine', {
        hasText: 'return s'
      });
      await returnLine.locator('summary').click();
      await expect(
        returnLine.locator('.jp-CythonPin-cCode').innerText()
      ).resolves.toMatch(/\S/);
      expect((await nb.runPython('print(total(10))')).trim()).toBe('285');
    }
  );

  step(
    '7b. light and dark themes: all text in the result view, annotation and pin panel meets WCAG AA',
    'step7b-contrast',
    async () => {
      await nb.openPinPanel();
      const roots = [
        '.jp-CythonPin-result',
        '.jp-CythonPin-annotation',
        '.jp-CythonPin-panel',
        '.jp-CythonPin-cellMarker'
      ];
      // The annotated cell shows its annotation with one line's C code open (step 7); the square cell shows
      // the "from cache" badge; the failed cell shows errors.
      for (const theme of ['JupyterLab Light', 'JupyterLab Dark'] as const) {
        await nb.setTheme(theme);
        const { checked, failures } = await lowContrast(nb.page, roots);
        expect(checked).toBeGreaterThan(30);
        expect({ theme, failures }).toEqual({ theme, failures: [] });
        if (theme === 'JupyterLab Dark') {
          await nb.result(squareCell).scrollIntoViewIfNeeded();
          await nb.shot('result-dark-from-cache');
          const annotated = nb.page
            .locator('.jp-CythonPin-result')
            .filter({ has: nb.page.locator('.jp-CythonPin-annotation') })
            .last();
          await annotated.scrollIntoViewIfNeeded();
          await nb.shot('result-dark');
        }
      }
      await nb.setTheme('JupyterLab Light');
    }
  );

  step(
    '7c. interrupting a Compile queued behind a busy kernel says cancelled and keeps the previous result',
    'step7c-cancelled',
    async () => {
      const keyOf = () =>
        nb
          .result(squareCell)
          .locator('.jp-CythonPin-key')
          .getAttribute('title');
      const before = await keyOf();
      expect(before).toMatch(HEX64);
      await nb.startCell('import time; time.sleep(20)');
      await nb.cell(squareCell).locator('.cm-content').click();
      const button = nb.compileButton(squareCell);
      await expectPoll(
        () => button.isEnabled(),
        on => on,
        30000,
        'the Compile button to be enabled'
      );
      await button.click();
      await expectPoll(
        () => nb.prompt(squareCell),
        p => p === '[*]:',
        10000,
        'the Compile to be queued'
      );
      await nb.page
        .locator('.lm-MenuBar-itemLabel', { hasText: /^Kernel$/ })
        .click();
      await nb.page
        .locator('.lm-Menu-itemLabel', { hasText: /^Interrupt Kernel$/ })
        .click();
      await nb.page
        .getByText(
          'Compile cancelled before it ran; the previous result is kept'
        )
        .first()
        .waitFor({ timeout: 30000 });
      await expect(keyOf()).resolves.toBe(before);
      expect(await nb.prompt(squareCell)).toMatch(/^\[\d+\]:$/);
      await nb.waitIdle();
    }
  );

  step(
    '7d. a panel request during a long cell waits its turn: the panel says queued, the status bar stays Busy',
    'step7d-queued',
    async () => {
      const statusBar = () => nb.page.locator('#jp-main-statusbar').innerText();
      const sleeper = await nb.startCell('import time; time.sleep(10)');
      await nb.openPinPanel();
      await nb.page.locator('.jp-CythonPin-refresh').first().click();
      const queued = nb.page.locator('.jp-CythonPin-queued');
      await queued.waitFor({ state: 'visible', timeout: 10000 });
      // Before the fix the request was answered on a subshell and the status went Idle ~0.1 s later.
      for (let i = 0; i < 12; i++) {
        expect(await statusBar()).toMatch(/\|\s*Busy/);
        expect(await nb.prompt(sleeper)).toBe('[*]:');
        await nb.page.waitForTimeout(250);
      }
      await nb.waitIdle(30000);
      await queued.waitFor({ state: 'detached', timeout: 10000 });
    }
  );

  step(
    '7e. the demo notebook opens clean: not marked modified once its kernel is up',
    'step7e-demo-clean',
    async () => {
      fs.copyFileSync(
        path.join(ROOT, 'examples', 'quickstart.ipynb'),
        path.join(run.lab.rootDir, 'quickstart.ipynb')
      );
      await nb.open('quickstart.ipynb');
      // JupyterLab writes the kernel's language_info once the kernel is ready; give it time to.
      await nb.page.waitForTimeout(3000);
      const tab = nb.page.locator('.lm-TabBar-tab.jp-mod-current', {
        hasText: 'quickstart.ipynb'
      });
      await expect(tab.count()).resolves.toBe(1);
      await expect(tab.getAttribute('class')).resolves.not.toMatch(
        /jp-mod-dirty/
      );
    }
  );

  step(
    '8. the browser console has no errors from the extension',
    'step8-console',
    async () => {
      expect(run.session.consoleErrors.filter(e => /cython/i.test(e))).toEqual(
        []
      );
    }
  );
});
