/**
 * End to end, the team cache in the pin panel: a real `jupyter lab` whose kernels see a real `file://` team
 * store (read-write, with a signing key made by `python -m cython_pin keygen` and trusted: see
 * jupyter_server_test_config.py), a real kernel, Cython and gcc, in Debian's headless chromium. A
 * `%%cython_pin ALIAS --team` cell makes a team pin; the panel shows the team cache and that pin; importing it
 * from the panel brings the build back from the store into an emptied local cache.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expect, test } from '@jupyterlab/galata';
import { Story, storyHooks } from './story';

test.describe.configure({ mode: 'serial' });

const ALIAS = 'team_square';
let nb: Story;
let store = '';
let key = '';

storyHooks(story => {
  nb = story;
  store = path.join(story.serverDir, 'store');
});

const teamRow = () =>
  nb.page.locator(
    `.jp-CythonPin-panel .jp-CythonPin-teamRow[data-alias="${ALIAS}"]`
  );

test('1. a %%cython_pin ALIAS --team cell pins the build as a team pin in the store', async () => {
  await nb.openNew('team.ipynb', [
    `%%cython_pin ${ALIAS} --team\ndef tsq(int n):\n    return n * n + 1`
  ]);
  await nb.openPinPanel();
  await expect(
    nb.page.locator('.jp-CythonPin-connection[data-connected="true"]')
  ).toBeAttached({ timeout: 60000 });
  await nb.run(0);
  const result = nb.result(0);
  await expect(result).toHaveAttribute('data-status', 'ok');
  key = (await result.locator('.jp-CythonPin-key').getAttribute('title')) ?? '';
  expect(key).toMatch(/^[0-9a-f]{64}$/);
  // The store holds the signed team-pins document (one create-only file per version) and the manifest.
  const docs = fs.readdirSync(path.join(store, 'v1', 'team-pins'));
  expect(docs.length).toBeGreaterThan(0);
  const newest = docs.sort().pop()!;
  const doc = JSON.parse(
    fs.readFileSync(path.join(store, 'v1', 'team-pins', newest), 'utf8')
  );
  expect(doc.signed.pins).toEqual({ [ALIAS]: key });
  // Personal pins are untouched.
  expect(fs.existsSync(path.join(nb.cacheDir, 'pins', `${ALIAS}.json`))).toBe(
    false
  );
});

test('2. the panel shows the team cache and the team pin beside the personal ones', async () => {
  await nb.openPinPanel();
  const status = nb.page.locator('.jp-CythonPin-teamStatus');
  await expect(status).toContainText('reachable');
  // Each fact labelled (issue 19), the signing key named by its id.
  expect(await status.locator('dt').allInnerTexts()).toEqual([
    'Store',
    'Mode',
    'Status',
    'Trusted keys',
    'Signing key id',
    'Team pins'
  ]);
  const values = await status.locator('dd').allInnerTexts();
  expect(values.slice(0, 4)).toEqual([
    `file://${store}`,
    'read-write',
    'reachable',
    '1'
  ]);
  expect(values[4]).toMatch(/^SHA256:\S+$/);
  expect(values[5]).toBe('this kernel can change them');
  await expect(nb.page.locator('.jp-CythonPin-teamMessage')).toHaveCount(0);
  await expect(teamRow().locator('.jp-CythonPin-pinKey')).toHaveText(
    key.slice(0, 12)
  );
  expect(
    await teamRow()
      .locator('.jp-CythonPin-rowActions button')
      .evaluateAll(bs => bs.map(b => b.getAttribute('aria-label')))
  ).toEqual(['Copy key', 'Insert import', 'Import', 'Rename', 'Unpin']);
  await expect(
    nb.page.locator(
      '.jp-CythonPin-panel .jp-CythonPin-pinTable .jp-CythonPin-empty'
    )
  ).toHaveText('No pins yet.');
});

test('3. Import on the team row brings the build back from the store and binds its names', async () => {
  await nb.runPython('del tsq');
  // Empty the local cache: the build can only come from the team store now.
  fs.rmSync(path.join(nb.cacheDir, key), { recursive: true });
  await nb.page.locator('.jp-CythonPin-panel .jp-CythonPin-refresh').click();
  const inCache = teamRow().locator('.jp-CythonPin-teamInCache');
  await expect(inCache).toHaveText('fetched from the team cache on import');
  await teamRow().locator('.jp-CythonPin-import').click();
  await expect(
    nb.page
      .getByText(/Imported team pin team_square .* into the kernel: tsq\./)
      .first()
  ).toBeVisible({ timeout: 60000 });
  expect(fs.existsSync(path.join(nb.cacheDir, key, 'meta.json'))).toBe(true);
  expect((await nb.runPython('print(tsq(5))')).trim()).toBe('26');
  await expect(inCache).toHaveText('in the local cache');
  await expect(
    nb.page.locator(
      `.jp-CythonPin-panel .jp-CythonPin-cacheRow[data-key="${key}"]`
    )
  ).toBeAttached();
});

test('4. at 250 and 900 px every team action and Pin to team… is inside the panel and clickable', async () => {
  await nb.page.setViewportSize({ width: 1600, height: 900 });
  const panel = await nb.openPinPanel();
  for (const width of [250, 900]) {
    const reached = await nb.setPinPanelWidth(width);
    expect(Math.abs(reached - width)).toBeLessThanOrEqual(4);
    const box = (await panel.boundingBox())!;
    const actions = panel.locator(
      '.jp-CythonPin-teamRow button, .jp-CythonPin-pinTeam'
    );
    // 5 on the team row, Pin to team… on the cache row.
    await expect(actions).toHaveCount(6);
    for (let i = 0; i < 6; i++) {
      const b = actions.nth(i);
      await b.scrollIntoViewIfNeeded();
      const bb = (await b.boundingBox())!;
      expect(bb.x).toBeGreaterThanOrEqual(box.x - 0.5);
      expect(bb.x + bb.width).toBeLessThanOrEqual(box.x + box.width + 0.5);
      expect(await b.getAttribute('title')).toMatch(/\S/);
      await b.click({ trial: true, timeout: 5000 });
    }
    expect((await teamRow().boundingBox())!.height).toBeLessThanOrEqual(80);
  }
  await expect(teamRow().locator('.jp-CythonPin-unpin')).toHaveClass(
    /\bjp-mod-danger\b/
  );
  await nb.setPinPanelWidth(320);
  await nb.page.setViewportSize({ width: 1400, height: 850 });
});
