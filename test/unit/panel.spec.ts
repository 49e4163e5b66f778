import * as fs from 'fs';
import * as path from 'path';
import { PinManagerModel } from '../../src/panel/model';
import { readGcForm } from '../../src/panel/gcForm';
import { PinManagerPanel } from '../../src/panel/view';
import {
  FakeConnector,
  FakeHelper,
  flush,
  KEY_A,
  KEY_B,
  registryWith
} from './helpers/fakeHelper';
import { fakeHost } from './helpers/fakeHost';

async function setup(answers = {}) {
  const helper = new FakeHelper();
  helper.pins.set('square', KEY_A);
  helper.pins.set('cube', KEY_B);
  const connector = new FakeConnector(helper);
  const { registry } = registryWith(connector);
  const model = new PinManagerModel(registry);
  const { host, log } = fakeHost(answers);
  const panel = new PinManagerPanel(model, host);
  document.body.appendChild(panel.node);
  model.setTarget({ connector: connector.asConnector(), label: 'demo.ipynb' });
  await flush();
  return { helper, connector, registry, model, panel, log };
}

const rows = (panel: PinManagerPanel) =>
  [...panel.node.querySelectorAll<HTMLElement>('.jp-CythonPin-pinRow')].map(
    r => r.dataset.alias
  );

function click(panel: PinManagerPanel, alias: string, cls: string) {
  const row = panel.node.querySelector(
    `.jp-CythonPin-pinRow[data-alias="${alias}"]`
  )!;
  (row.querySelector(cls) as HTMLElement).click();
}

describe('pin manager panel', () => {
  it('lists pins with short key, module, size and created, and says which kernel/cache', async () => {
    const { panel } = await setup();
    expect(panel.node.classList).toContain('jp-CythonPin-panel');
    expect(rows(panel)).toEqual(['cube', 'square']);
    const row = panel.node.querySelector(
      '.jp-CythonPin-pinRow[data-alias="square"]'
    )!;
    expect(
      [
        '.jp-CythonPin-pinAlias',
        '.jp-CythonPin-pinKey',
        '.jp-CythonPin-pinModule',
        '.jp-CythonPin-pinSize',
        '.jp-CythonPin-pinCreated'
      ].map(sel => row.querySelector(sel)!.textContent)
    ).toEqual([
      'square',
      'aaaaaaaaaaaa',
      'cython_pin_aaaaaaaaaaaaaaaa',
      '60 KiB',
      '2026-11-25 12:00 UTC'
    ]);
    expect(
      panel.node.querySelector('.jp-CythonPin-connection')!.textContent
    ).toBe('demo.ipynb · kernel python3 · cache /tmp/cache');
    expect(
      panel.node.querySelector('.jp-CythonPin-cacheStats')!.textContent
    ).toBe('2 entries, 100 KiB, 2 personal pins · /tmp/cache');
    expect(panel.node.querySelectorAll('.jp-CythonPin-cacheRow')).toHaveLength(
      2
    );
  });

  it('reads pins, entries and stats with one catalogue request per refresh', async () => {
    const { helper, model } = await setup();
    // The team cache has a request of its own, sent after the personal list's.
    expect(helper.requests.map(r => r.op)).toEqual([
      'catalogue',
      'team_catalogue'
    ]);
    await model.refresh();
    expect(helper.requests.map(r => r.op)).toEqual([
      'catalogue',
      'team_catalogue',
      'catalogue',
      'team_catalogue'
    ]);
  });

  it('filters by alias, key or module name', async () => {
    const { panel } = await setup();
    const input = panel.node.querySelector(
      '.jp-CythonPin-filter'
    ) as HTMLInputElement;
    input.value = 'squ';
    input.dispatchEvent(new Event('input'));
    expect(rows(panel)).toEqual(['square']);
    input.value = 'bbbb';
    input.dispatchEvent(new Event('input'));
    expect(rows(panel)).toEqual(['cube']);
    input.value = 'nothing';
    input.dispatchEvent(new Event('input'));
    expect(rows(panel)).toEqual([]);
    expect(panel.node.querySelector('.jp-CythonPin-empty')!.textContent).toBe(
      'No pins match the filter.'
    );
  });

  it('unpins only after confirmation and refreshes the table', async () => {
    const { panel, log, helper } = await setup({ confirm: true });
    click(panel, 'cube', '.jp-CythonPin-unpin');
    await flush(10);
    expect(log.confirms[0]).toMatch(/Remove the alias "cube"\?/);
    expect(helper.pins.has('cube')).toBe(false);
    expect(rows(panel)).toEqual(['square']);
    expect(log.notices).toContain('success: Unpinned "cube".');
  });

  it('says so when the alias was already gone, and shows the refreshed list', async () => {
    const { panel, log, helper } = await setup({ confirm: true });
    helper.pins.delete('cube'); // another kernel unpinned it; this row is stale
    click(panel, 'cube', '.jp-CythonPin-unpin');
    await flush(10);
    expect(log.notices).toEqual([
      'info: No pin named "cube" (it may have been removed elsewhere); list refreshed.'
    ]);
    expect(rows(panel)).toEqual(['square']);
  });

  it('keeps the pin when the confirmation is cancelled', async () => {
    const { panel, helper } = await setup({ confirm: false });
    click(panel, 'cube', '.jp-CythonPin-unpin');
    await flush(10);
    expect(helper.pins.has('cube')).toBe(true);
    expect(rows(panel)).toEqual(['cube', 'square']);
  });

  it('row actions are labelled toolbar icon buttons; Unpin is the distinct danger action', async () => {
    const { panel } = await setup();
    const row = panel.node.querySelector(
      '.jp-CythonPin-pinRow[data-alias="square"]'
    )!;
    const buttons = [
      ...row.querySelectorAll<HTMLButtonElement>(
        '.jp-CythonPin-rowActions button'
      )
    ];
    expect(buttons.map(b => b.getAttribute('aria-label'))).toEqual([
      'Copy key',
      'Insert import',
      'Import',
      'Rename',
      'Unpin'
    ]);
    for (const b of buttons) {
      expect(b.classList).toContain('jp-ToolbarButtonComponent');
      expect(b.querySelector('svg')).not.toBeNull();
      expect(b.title).toMatch(/square|Copy/);
      // The label is there to show beside the icon when the panel has room (base.css).
      expect(b.querySelector('.jp-CythonPin-actionLabel')!.textContent).toBe(
        b.getAttribute('aria-label')
      );
    }
    // Import brings the build into the kernel: a download icon, not ▶ (which reads as "run").
    const importIcon = row.querySelector('.jp-CythonPin-import svg')!;
    expect(importIcon.getAttribute('data-icon')).toBe('ui-components:download');
    expect(
      buttons
        .filter(b => b.classList.contains('jp-mod-danger'))
        .map(b => b.getAttribute('aria-label'))
    ).toEqual(['Unpin']);
  });

  it("a cache row's Pin… goes through the host's one pin flow", async () => {
    const { panel, log } = await setup();
    const row = panel.node.querySelector(
      `.jp-CythonPin-cacheRow[data-key="${KEY_A}"]`
    )!;
    (row.querySelector('.jp-CythonPin-pinEntry') as HTMLElement).click();
    await flush(5);
    expect(log.pinned).toEqual([KEY_A]);
  });

  it('renames a pin', async () => {
    const { panel } = await setup({ prompt: 'sq' });
    click(panel, 'square', '.jp-CythonPin-rename');
    await flush(10);
    expect(rows(panel)).toEqual(['cube', 'sq']);
  });

  it("a rename onto another pin's alias says so in the panel's terms and changes nothing", async () => {
    const { panel, log } = await setup({ prompt: 'cube' });
    click(panel, 'square', '.jp-CythonPin-rename');
    await flush(10);
    expect(log.notices).toContain(
      'error: "cube" is already the alias of another build: unpin that one first, or choose another name.'
    );
    expect(log.notices.join('\n')).not.toMatch(/overwrite/);
    expect(rows(panel)).toEqual(['cube', 'square']);
  });

  it('copies the key, inserts import code and imports into the kernel', async () => {
    const { panel, log } = await setup();
    click(panel, 'square', '.jp-CythonPin-copy');
    click(panel, 'square', '.jp-CythonPin-insertImport');
    click(panel, 'square', '.jp-CythonPin-import');
    await flush(10);
    expect(log.copied).toEqual([KEY_A]);
    expect(log.inserted).toEqual(['square']);
    expect(log.notices).toContain(
      'success: Imported square (cython_pin_aaaaaaaaaaaaaaaa) into the kernel: f.'
    );
  });

  it('shows helper errors to the user', async () => {
    const { panel, log, helper } = await setup({ prompt: 'x' });
    helper.pins.clear(); // someone unpinned it meanwhile
    click(panel, 'cube', '.jp-CythonPin-rename');
    await flush(10);
    expect(log.notices).toContain("error: No pin named 'cube'.");
    expect(rows(panel)).toEqual([]);
  });

  it('previews garbage collection, then removes only after confirmation', async () => {
    const { panel, helper, log } = await setup({ confirm: true });
    helper.pins.delete('cube');
    (
      panel.node.querySelector('.jp-CythonPin-gcKeep') as HTMLInputElement
    ).value = '1';
    (
      panel.node.querySelector('.jp-CythonPin-gcPreview') as HTMLElement
    ).click();
    await flush(10);
    expect(
      panel.node.querySelector('.jp-CythonPin-gcPreviewResult')!.textContent
    ).toMatch(
      /^Would remove 1 entry, freeing 40 KiB; 1 kept \(pinned builds are always kept\)\./
    );
    expect(helper.entries).toHaveLength(2);
    (panel.node.querySelector('.jp-CythonPin-gcRun') as HTMLElement).click();
    await flush(10);
    expect(log.confirms[0]).toBe(
      'Remove 1 cache entry and free 40 KiB? Pinned builds are kept.'
    );
    expect(helper.entries.map(e => e.key)).toEqual([KEY_A]);
    expect(panel.node.querySelectorAll('.jp-CythonPin-cacheRow')).toHaveLength(
      1
    );
    expect(
      panel.node.querySelector('.jp-CythonPin-gcPreviewResult')
    ).toBeNull();
  });

  it('asks for a limit instead of sending a clean-up with none', async () => {
    const { panel, helper, log } = await setup({ confirm: true });
    for (const cls of ['.jp-CythonPin-gcPreview', '.jp-CythonPin-gcRun']) {
      (panel.node.querySelector(cls) as HTMLElement).click();
      await flush(10);
    }
    expect(log.notices).toEqual([
      'info: Set at least one limit first: Keep newest, Max age (days) or Max size (MiB). Pinned builds are always kept.',
      'info: Set at least one limit first: Keep newest, Max age (days) or Max size (MiB). Pinned builds are always kept.'
    ]);
    expect(helper.requests.filter(r => r.op === 'gc_cache')).toEqual([]);
    expect(log.confirms).toEqual([]);
  });

  it('refreshes after a pin change made from another notebook on the same cache', async () => {
    // Two notebooks, two kernels, one cache directory on disk.
    const helperA = new FakeHelper();
    const helperB = new FakeHelper();
    helperB.pins = helperA.pins;
    helperB.entries = helperA.entries;
    helperA.pins.set('square', KEY_A);
    const a = new FakeConnector(helperA, 'kernel-a');
    const b = new FakeConnector(helperB, 'kernel-b');
    const { registry } = registryWith(a, b);
    const model = new PinManagerModel(registry);
    const panel = new PinManagerPanel(model, fakeHost().host);
    model.setTarget({ connector: a.asConnector(), label: 'a.ipynb' });
    await flush();
    expect(rows(panel)).toEqual(['square']);

    await b.request('pin', { key: KEY_B, alias: 'cube' });
    // The refresh is debounced and takes three round trips: poll, as a loaded machine is slow.
    for (let t = 0; t < 100 && rows(panel).length < 2; t++) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    expect(rows(panel)).toEqual(['cube', 'square']);

    // A kernel on a different cache does not disturb this panel.
    const before = helperA.requests.length;
    helperB.cacheDir = '/elsewhere';
    await b.request('unpin', { alias: 'cube' });
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(helperA.requests.length).toBe(before);
    expect(rows(panel)).toEqual(['cube', 'square']);
    await model.refresh();
    expect(rows(panel)).toEqual(['square']);
  });

  it('shows queued while the kernel is busy, then the result', async () => {
    const { panel, connector, model } = await setup();
    connector.hold = true;
    connector.busy = true;
    const refreshing = model.refresh();
    await flush();
    expect(
      panel.node.querySelector('.jp-CythonPin-queued')!.textContent
    ).toMatch(/^Queued: the kernel is busy running a cell/);
    connector.release();
    await refreshing;
    await flush();
    expect(panel.node.querySelector('.jp-CythonPin-queued')).toBeNull();
    expect(rows(panel)).toEqual(['cube', 'square']);
  });

  it('explains why it cannot connect, and disables actions', async () => {
    const { panel, connector } = await setup();
    connector.setState({
      status: 'missing-helper',
      message:
        'The cython_pin helper is not installed in this kernel\'s environment. Run: "/usr/bin/python3" -m pip install cython-pin'
    });
    await flush();
    expect(
      panel.node.querySelector('.jp-CythonPin-connection')!.textContent
    ).toMatch(
      /^demo\.ipynb: The cython_pin helper is not installed .* -m pip install cython-pin$/
    );
    const refresh = panel.node.querySelector(
      '.jp-CythonPin-refresh'
    ) as HTMLButtonElement;
    expect(refresh.disabled).toBe(true);
    // Pins exist, but cannot be read: the lists say why instead of "No pins yet." / "The cache is empty."
    expect(rows(panel)).toEqual([]);
    expect(
      [...panel.node.querySelectorAll('.jp-CythonPin-empty')].map(
        e => e.textContent
      )
    ).toEqual([
      'Unavailable: the cython_pin helper is not installed in this kernel.',
      'Unavailable: the cython_pin helper is not installed in this kernel.'
    ]);
    expect(panel.node.textContent).not.toMatch(/No pins yet|cache is empty/);
  });
});

describe('gc form', () => {
  it('turns empty fields into "no limit" and MiB into bytes', () => {
    expect(readGcForm({ keepNewest: '', maxAgeDays: ' ', maxMiB: '' })).toEqual(
      {
        keep_n_newest: null,
        max_age_days: null,
        max_bytes: null
      }
    );
    expect(
      readGcForm({ keepNewest: '3', maxAgeDays: '1.5', maxMiB: '2' })
    ).toEqual({
      keep_n_newest: 3,
      max_age_days: 1.5,
      max_bytes: 2097152
    });
  });

  it('styles: labels beside icons when there is room, a clean-up preview that wraps', () => {
    const css = fs.readFileSync(
      path.join(__dirname, '..', '..', 'style', 'base.css'),
      'utf-8'
    );
    const rule = (selector: string) => {
      const at = css.indexOf(`${selector} {`);
      return at < 0 ? '' : css.slice(at, css.indexOf('}', at));
    };
    // Hidden by default, shown inside a container query on the panel's width.
    expect(rule('.jp-CythonPin-panel .jp-CythonPin-actionLabel')).toMatch(
      /display: none/
    );
    expect(css).toMatch(
      /@container \(min-width: \d+px\) \{[^@]*\.jp-CythonPin-actionLabel \{\s*display: inline;/
    );
    expect(rule('.jp-CythonPin-gcPreviewResult')).toMatch(
      /overflow-wrap: anywhere/
    );
  });
});
