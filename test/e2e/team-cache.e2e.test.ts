/**
 * End to end, the team cache in the pin panel: a real `jupyter lab` whose kernels see a real `file://` team
 * store (read-write, with a signing key made by `python -m cython_pin keygen` and trusted), a real kernel,
 * Cython and gcc, in Debian's headless chromium. A `%%cython_pin ALIAS --team` cell makes a team pin; the
 * panel shows the team cache and that pin; importing it from the panel brings the build back from the store
 * into an emptied local cache. Screenshots go to test-output/e2e/team-<step>.png.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NotebookPage, ROOT, expectPoll, putNotebook } from './harness';
import { scenario } from './scenario';

const ALIAS = 'team_square';
let nb: NotebookPage;
let tmp = '';
let store = '';

const run = scenario({
  shotPrefix: 'team-',
  lab: () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cython-pin-e2e-team-'));
    store = path.join(tmp, 'store');
    fs.mkdirSync(store);
    const keys = path.join(tmp, 'keys');
    const publicLine = execFileSync(
      path.join(ROOT, '.venv', 'bin', 'python'),
      ['-m', 'cython_pin', 'keygen', keys],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }
    ).trim();
    const trusted = path.join(tmp, 'trusted_keys');
    fs.writeFileSync(trusted, `${publicLine}\n`);
    return {
      name: 'team',
      env: {
        CYTHON_PIN_REMOTE: `file://${store}`,
        CYTHON_PIN_REMOTE_MODE: 'read-write',
        CYTHON_PIN_TRUSTED_KEYS: trusted,
        CYTHON_PIN_SIGNING_KEY: path.join(keys, 'cython-pin-signing.pem')
      }
    };
  },
  cleanup: () => fs.rmSync(tmp, { recursive: true, force: true })
});
const { step } = run;
beforeAll(() => {
  nb = run.nb;
});

const teamRow = () =>
  nb.page.locator(
    `.jp-CythonPin-panel .jp-CythonPin-teamRow[data-alias="${ALIAS}"]`
  );
let key = '';

describe('the team cache in the pin panel', () => {
  step(
    '1. a %%cython_pin ALIAS --team cell pins the build as a team pin in the store',
    'step1-team-pin',
    async () => {
      await putNotebook(run.lab, 'team.ipynb', [
        `%%cython_pin ${ALIAS} --team\ndef tsq(int n):\n    return n * n + 1`
      ]);
      await nb.open('team.ipynb');
      await nb.openPinPanel();
      await nb.page
        .locator('.jp-CythonPin-connection[data-connected="true"]')
        .waitFor({ timeout: 60000 });
      await nb.run(0);
      const result = nb.result(0);
      await expect(result.getAttribute('data-status')).resolves.toBe('ok');
      key =
        (await result.locator('.jp-CythonPin-key').getAttribute('title')) ?? '';
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
      expect(
        fs.existsSync(path.join(run.lab.cacheDir, 'pins', `${ALIAS}.json`))
      ).toBe(false);
    }
  );

  step(
    '2. the panel shows the team cache and the team pin beside the personal ones',
    'step2-panel',
    async () => {
      await nb.openPinPanel();
      const status = nb.page.locator('.jp-CythonPin-teamStatus');
      await expectPoll(
        () => status.innerText(),
        text => text.includes('reachable'),
        30000,
        'the team cache status'
      );
      const parts = await status.locator('span').allInnerTexts();
      expect(parts).toEqual([
        `file://${store}`,
        'read-write',
        'reachable',
        '1 trusted key',
        'can change team pins'
      ]);
      expect(await nb.page.locator('.jp-CythonPin-teamMessage').count()).toBe(
        0
      );
      await teamRow().waitFor({ timeout: 30000 });
      expect(await teamRow().locator('.jp-CythonPin-pinKey').innerText()).toBe(
        key.slice(0, 12)
      );
      expect(
        await teamRow()
          .locator('.jp-CythonPin-rowActions button')
          .evaluateAll(bs => bs.map(b => b.getAttribute('aria-label')))
      ).toEqual(['Copy key', 'Insert import', 'Import', 'Rename', 'Unpin']);
      expect(
        await nb.page
          .locator(
            '.jp-CythonPin-panel .jp-CythonPin-pinTable .jp-CythonPin-empty'
          )
          .innerText()
      ).toBe('No pins yet.');
    }
  );

  step(
    '3. Import on the team row brings the build back from the store and binds its names',
    'step3-import',
    async () => {
      await nb.runPython('del tsq');
      // Empty the local cache: the build can only come from the team store now.
      fs.rmSync(path.join(run.lab.cacheDir, key), { recursive: true });
      await nb.page
        .locator('.jp-CythonPin-panel .jp-CythonPin-refresh')
        .click();
      await expectPoll(
        () => teamRow().locator('.jp-CythonPin-teamInCache').innerText(),
        text => text === 'fetched from the team cache on import',
        30000,
        'the team row to say the build is not in the local cache'
      );
      await teamRow().locator('.jp-CythonPin-import').click();
      await nb.page
        .getByText(/Imported team pin team_square .* into the kernel: tsq\./)
        .first()
        .waitFor({ timeout: 60000 });
      expect(fs.existsSync(path.join(run.lab.cacheDir, key, 'meta.json'))).toBe(
        true
      );
      expect((await nb.runPython('print(tsq(5))')).trim()).toBe('26');
      await expectPoll(
        () => teamRow().locator('.jp-CythonPin-teamInCache').innerText(),
        text => text === 'in the local cache',
        30000,
        'the team row to say the build is in the local cache again'
      );
      await nb.page
        .locator(
          `.jp-CythonPin-panel .jp-CythonPin-cacheRow[data-key="${key}"]`
        )
        .waitFor({ timeout: 30000 });
    }
  );

  step(
    '4. at 250 and 900 px every team action and Pin to team… is inside the panel and clickable',
    'step4-widths',
    async () => {
      await nb.page.setViewportSize({ width: 1600, height: 900 });
      const panel = nb.page.locator('.jp-CythonPin-panel');
      for (const width of [250, 900]) {
        const reached = await nb.setPinPanelWidth(width);
        expect(Math.abs(reached - width)).toBeLessThanOrEqual(4);
        const box = (await panel.boundingBox())!;
        const actions = panel.locator(
          '.jp-CythonPin-teamRow button, .jp-CythonPin-pinTeam'
        );
        // 5 on the team row, Pin to team… on the cache row.
        expect(await actions.count()).toBe(6);
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
      await expect(
        teamRow().locator('.jp-CythonPin-unpin').getAttribute('class')
      ).resolves.toContain('jp-mod-danger');
      await nb.setPinPanelWidth(320);
      await nb.page.setViewportSize({ width: 1400, height: 850 });
    }
  );
});
