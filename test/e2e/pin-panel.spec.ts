/**
 * The pin panel end to end (issue 19): a typed-memoryview cell (its build also makes the shared utility
 * module's cache entry, listed in the Toolchain group; a row that once broke the whole panel), then everything the panel does on it — pin,
 * rename, Insert import, Preview clean-up and Clean up — each checked against the kernel and the cache on disk,
 * at 250 px (icons, the preview wraps) and 500 px (labels). Screenshots: test-output/e2e/pin-panel-*.png.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expect, test } from '@jupyterlab/galata';
import { OUT, Story, storyHooks } from './story';

test.describe.configure({ mode: 'serial' });

const ALIAS = 'total_mv';
const RENAMED = 'total_v2';
const TOTAL =
  '%%cython_pin\ndef total(double[:] x):\n    cdef double s = 0\n    cdef Py_ssize_t i\n' +
  '    for i in range(x.shape[0]):\n        s += x[i]\n    return s';
/** The kernel's check of `total`: 1.5 + 2.5 + 3.25. */
const CHECK_TOTAL = 'print(total(array.array("d", [1.5, 2.5, 3.25])))';

/** Screenshots of the panel leave out the notification toasts that would cover it. */
const NO_TOASTS = '.Toastify { display: none !important; }';

let nb: Story;
let totalCell = -1;
let totalKey = '';
let sharedKey = '';

storyHooks(story => {
  nb = story;
});

/** The cache entry's meta.json as the kernel wrote it. */
function meta(key: string): { kind: string; shared?: { key: string } } {
  return JSON.parse(
    fs.readFileSync(path.join(nb.cacheDir, key, 'meta.json'), 'utf8')
  );
}

function cacheRow(key: string) {
  return nb.page.locator(
    `.jp-CythonPin-panel .jp-CythonPin-cacheRow[data-key="${key}"]`
  );
}

/** A row of the Toolchain group (the shared utility module's: its key). */
function toolchainRow(key: string) {
  return nb.page.locator(
    `.jp-CythonPin-panel .jp-CythonPin-toolchainRow[data-key="${key}"]`
  );
}

/**
 * Refresh the panel and wait until its cache rows, with the shared utility modules of its Toolchain group,
 * are exactly the entries on disk.
 */
async function panelMatchesDisk(): Promise<void> {
  await nb.openPinPanel();
  await nb.page.locator('.jp-CythonPin-refresh').first().click();
  await expect
    .poll(
      async () =>
        (
          await nb.page
            .locator(
              '.jp-CythonPin-panel .jp-CythonPin-cacheRow, .jp-CythonPin-panel .jp-CythonPin-toolchainRow[data-kind="shared"]'
            )
            .evaluateAll(rows =>
              rows.map(r => r.getAttribute('data-key') ?? '?')
            )
        ).sort(),
      { message: 'the panel lists every cache entry', timeout: 20000 }
    )
    .toEqual(nb.cacheEntries());
  await expect(
    nb.page.locator('.jp-CythonPin-panel .jp-CythonPin-loading')
  ).toHaveCount(0);
  // Every row read: none unreadable, no malformed-reply error anywhere in the panel.
  await expect(
    nb.page.locator('.jp-CythonPin-panel .jp-CythonPin-unreadable')
  ).toHaveCount(0);
  await expect(nb.page.locator('.jp-CythonPin-panel')).not.toContainText(
    /malformed/i
  );
}

test('0. a notebook whose kernel has the helper', async () => {
  await nb.openNew('panel.ipynb', ['import array, cython_pin']);
  await nb.run(0);
  await nb.readyToCompile(0);
});

test('1. a typed-memoryview cell and a small one build; the memoryview one returns the right sum', async () => {
  totalCell = await nb.appendCell(TOTAL);
  await nb.compile(totalCell);
  const result = nb.result(totalCell);
  await expect(result).toHaveAttribute('data-status', 'ok');
  totalKey =
    (await result.locator('.jp-CythonPin-key').getAttribute('title')) ?? '';
  expect((await nb.runPython(CHECK_TOTAL)).trim()).toBe('7.25');
  // Its build imports the shared utility module: an entry of its own in the cache.
  sharedKey = meta(totalKey).shared?.key ?? '';
  expect(meta(sharedKey).kind).toBe('shared');
  // Something unpinned for the clean-up to remove.
  const small = await nb.appendCell(
    '%%cython_pin\ndef plus_one(int a):\n    return a + 1'
  );
  await nb.compile(small);
  await expect(nb.result(small)).toHaveAttribute('data-status', 'ok');
  expect(nb.cacheEntries().length).toBeGreaterThanOrEqual(3);
});

test('2. the panel lists every entry, the shared utility module as a toolchain entry, not pinnable', async () => {
  await nb.page.setViewportSize({ width: 1600, height: 900 });
  await nb.openPinPanel();
  await nb.setPinPanelWidth(500);
  await panelMatchesDisk();
  await expect(cacheRow(sharedKey)).toHaveCount(0);
  const shared = toolchainRow(sharedKey);
  await expect(shared.locator('.jp-CythonPin-toolchainKind')).toHaveText(
    'shared utility module'
  );
  await expect(shared.locator('.jp-CythonPin-toolchainLabel')).toContainText(
    ' · Cython '
  );
  await expect(shared.locator('button')).toHaveCount(0);
  await expect(
    cacheRow(totalKey).locator('.jp-CythonPin-cacheKind')
  ).toHaveText('module');
  await expect(
    cacheRow(totalKey).locator('.jp-CythonPin-cacheAliases')
  ).toHaveText('not pinned');
});

test('3. Pin… on the memoryview build: the pin row, the kernel and the cell result agree', async () => {
  await cacheRow(totalKey).locator('.jp-CythonPin-pinEntry').click();
  await nb.answerDialog(ALIAS);
  await expect(nb.pinRow(ALIAS)).toHaveAttribute('data-key', totalKey);
  await expect(
    cacheRow(totalKey).locator('.jp-CythonPin-cacheAliases')
  ).toHaveText(ALIAS);
  await expect(
    nb.result(totalCell).locator('.jp-CythonPin-alias', { hasText: ALIAS })
  ).toBeVisible();
  expect((await nb.runPython('print(cython_pin.list_pins())')).trim()).toBe(
    `{'${ALIAS}': '${totalKey}'}`
  );
});

test('4. rename the pin in the panel: the row, the kernel and the cell result all show the new alias', async () => {
  await nb.openPinPanel();
  await nb.pinRow(ALIAS).locator('.jp-CythonPin-rename').click();
  await nb.answerDialog(RENAMED);
  await expect(nb.pinRow(RENAMED)).toHaveAttribute('data-key', totalKey);
  await expect(nb.pinRow(ALIAS)).toHaveCount(0);
  const aliases = nb.result(totalCell).locator('.jp-CythonPin-alias');
  await expect(aliases).toHaveText([RENAMED]);
  expect((await nb.runPython('print(cython_pin.list_pins())')).trim()).toBe(
    `{'${RENAMED}': '${totalKey}'}`
  );
});

test('5. Insert import: the inserted cell runs and binds total, which gives the right sum', async () => {
  await nb.runPython('del total');
  const n = await nb.cellCount();
  await nb.openPinPanel();
  await nb.pinRow(RENAMED).locator('.jp-CythonPin-insertImport').click();
  await nb.cell(n).waitFor();
  expect(await nb.cellText(n)).toBe(
    `from cython_pin import import_pinned\nimport_pinned("${RENAMED}", into=globals())`
  );
  await nb.run(n);
  await expect(
    nb.cell(n).locator('.jp-OutputArea-output[data-mime-type*="stderr"]')
  ).toHaveCount(0);
  expect((await nb.runPython(CHECK_TOTAL)).trim()).toBe('7.25');
});

/** The panel's scroll box and the clean-up preview (when shown) do not scroll sideways. */
async function noSidewaysScroll(): Promise<void> {
  const boxes = await nb.page
    .locator(
      '.jp-CythonPin-panel, .jp-CythonPin-panel .jp-CythonPin-gcPreviewResult'
    )
    .evaluateAll(els =>
      els.map(e => ({
        cls: e.className,
        wider: e.scrollWidth > e.clientWidth
      }))
    );
  expect(boxes.length).toBeGreaterThanOrEqual(1);
  expect(boxes.filter(b => b.wider)).toEqual([]);
}

/** The messages of JupyterLab's notifications, newest first. */
async function notifications(): Promise<string> {
  return nb.page.evaluate(async () =>
    (await window.galata.getNotifications()).map(n => n.message).join(' | ')
  );
}

test('6. Preview clean-up lists exactly the unpinned entries; 500 px shows labels, 250 px icons and wraps', async () => {
  await panelMatchesDisk();
  const unpinned = nb
    .cacheEntries()
    .filter(k => k !== totalKey && k !== sharedKey);
  expect(unpinned.length).toBeGreaterThan(0);
  // Keep the 0 newest: every unpinned entry goes (an empty form sets no limit at all). "kept" counts cells:
  // the pinned one (the shared module it imports is a toolchain entry, kept with it).
  const keep = nb.page.locator('.jp-CythonPin-gcKeep');
  await keep.fill('0');
  await expect(keep).toHaveValue('0');
  await nb.page.locator('.jp-CythonPin-gcPreview').click();
  const preview = nb.page.locator('.jp-CythonPin-gcPreviewResult');
  // The preview's text, or (when it does not come) what the notifications said instead.
  await expect
    .poll(async () =>
      (await preview.count())
        ? preview.innerText()
        : `no preview; notifications: ${await notifications()}`
    )
    .toMatch(
      new RegExp(
        `^Would remove ${unpinned.length} entr(y|ies), freeing .+; 1 kept \\(pinned builds are always kept\\)\\.`
      )
    );
  const listed = await preview
    .locator('li')
    .evaluateAll(items => items.map(li => li.textContent ?? ''));
  expect(listed.map(t => t.split(' ')[0]).sort()).toEqual(
    unpinned.map(k => k.slice(0, 12)).sort()
  );
  // The dry run removed nothing.
  expect(nb.cacheEntries()).toEqual([...unpinned, totalKey, sharedKey].sort());

  const panel = nb.page.locator('.jp-CythonPin-panel');
  const rename = nb.pinRow(RENAMED).locator('.jp-CythonPin-rename');
  const label = rename.locator('.jp-CythonPin-actionLabel');
  const icon = rename.locator('svg');
  for (const width of [500, 250]) {
    const reached = await nb.setPinPanelWidth(width);
    expect(Math.abs(reached - width)).toBeLessThanOrEqual(4);
    await expect(icon).toBeVisible();
    if (width >= 420) {
      await expect(label).toBeVisible();
      await expect(label).toHaveText('Rename');
    } else {
      await expect(label).toBeHidden();
    }
    await noSidewaysScroll();
    const box = (await panel.boundingBox())!;
    await preview.scrollIntoViewIfNeeded();
    await nb.page.screenshot({
      path: path.join(OUT, `pin-panel-preview-${width}px.png`),
      clip: { x: box.x, y: box.y, width: box.width, height: box.height },
      style: NO_TOASTS
    });
  }
});

test('7. Clean up removes exactly what the preview listed; the pinned build and its shared module stay and work', async () => {
  const before = nb.cacheEntries();
  await nb.page.locator('.jp-CythonPin-gcRun').click();
  const dialog = nb.page.locator('.jp-Dialog');
  await expect(dialog).toContainText(`Remove ${before.length - 2} cache entr`);
  await nb.answerDialog();
  await expect(
    nb.page
      .getByText(new RegExp(`Removed ${before.length - 2} entries, freed `))
      .first()
  ).toBeVisible();
  expect(nb.cacheEntries()).toEqual([totalKey, sharedKey].sort());
  await panelMatchesDisk();
  await expect(toolchainRow(sharedKey)).toBeVisible();
  await expect(
    toolchainRow(sharedKey).locator('.jp-CythonPin-toolchainGone')
  ).toHaveCount(0);
  await noSidewaysScroll();
  await nb.page.screenshot({
    path: path.join(OUT, 'pin-panel-cleaned-250px.png'),
    clip: (await nb.page.locator('.jp-CythonPin-panel').boundingBox())!,
    style: NO_TOASTS
  });
  // The pin still loads from the cache (its shared module too) in a new kernel.
  await nb.restartKernel();
  expect(
    (
      await nb.runPython(
        'import array\nfrom cython_pin import import_pinned_result\n' +
          `r = import_pinned_result("${RENAMED}")\n` +
          'print(r.used_cache, r.module.total(array.array("d", [1.5, 2.5, 3.25])))'
      )
    ).trim()
  ).toBe('True 7.25');
  expect(nb.cacheEntries()).toEqual([totalKey, sharedKey].sort());
  await nb.setPinPanelWidth(320);
  await nb.page.setViewportSize({ width: 1400, height: 850 });
});

test('8. the browser console has no errors from the extension', async () => {
  expect(nb.consoleErrors.filter(e => /cython/i.test(e))).toEqual([]);
});
