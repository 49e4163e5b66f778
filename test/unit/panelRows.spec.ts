import { ICacheRow, IToolchainRow } from '../../src/protocol';
import { PinManagerModel } from '../../src/panel/model';
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

const KEY_S = '5'.repeat(64);
const KEY_X = 'e'.repeat(64);
const PCH = '0'.repeat(32);
const OLD_PCH = '9'.repeat(32);
const NOW = 'CPython 3.11.7 · Cython 3.3.1 · gcc 12.2.0';

/** The cache after the demo's memoryview section: two cells and a row of a kind this extension does not
 * know (a newer helper); as toolchain entries the shared utility module, a precompiled header of a Python
 * that is gone, one from before entries recorded their toolchain, and a toolchain row it cannot read. */
async function setup() {
  const helper = new FakeHelper();
  helper.pins.set('square', KEY_A);
  helper.entries.push({
    key: KEY_X,
    kind: 'toolchain-of-the-future',
    module_name: 'x',
    size_bytes: 1024,
    created_utc: '2026-11-22T08:00:00Z',
    profile: null,
    pgo: null,
    numpy: false,
    aliases: []
  } as unknown as ICacheRow);
  helper.toolchain.push(
    {
      kind: 'shared',
      id: KEY_S,
      size_bytes: 204800,
      created_utc: '2026-11-23T08:00:00Z',
      toolchain: NOW,
      flags: '-O0 -g',
      present: true
    },
    {
      kind: 'pch',
      id: PCH,
      size_bytes: 13 << 20,
      created_utc: '2026-11-20T08:00:00Z',
      toolchain: 'CPython 3.10.12 · Cython 3.0.11 · gcc 11.4.0',
      flags: '-O3 -DNDEBUG',
      present: false
    },
    {
      kind: 'pch',
      id: OLD_PCH,
      size_bytes: 12 << 20,
      created_utc: '2026-10-01T08:00:00Z',
      toolchain: null,
      flags: null,
      present: null
    },
    {
      kind: 'linker',
      id: 'f'.repeat(32),
      size_bytes: 0,
      created_utc: null,
      toolchain: null,
      flags: null,
      present: null
    } as unknown as IToolchainRow
  );
  const connector = new FakeConnector(helper);
  const { registry } = registryWith(connector);
  const model = new PinManagerModel(registry);
  const { host, log } = fakeHost({ confirm: true });
  const panel = new PinManagerPanel(model, host);
  document.body.appendChild(panel.node);
  model.setTarget({ connector: connector.asConnector(), label: 'demo.ipynb' });
  await flush();
  return { helper, model, panel, log };
}

const cacheRows = (panel: PinManagerPanel) => [
  ...panel.node.querySelectorAll<HTMLElement>('.jp-CythonPin-cacheRow')
];
const toolchainRows = (panel: PinManagerPanel) => [
  ...panel.node.querySelectorAll<HTMLElement>(
    '.jp-CythonPin-toolchainTable .jp-CythonPin-toolchainRow'
  )
];
const text = (row: Element, cls: string) =>
  row.querySelector(`.${cls}`)?.textContent ?? null;

describe('one unexpected row never breaks the pin panel', () => {
  it('shows the cells as cache entries and an unreadable row as such', async () => {
    const { panel, model } = await setup();
    expect(model.error).toBeNull();
    const [a, b, odd] = cacheRows(panel);
    expect(cacheRows(panel).map(r => r.dataset.key)).toEqual([
      KEY_A,
      KEY_B,
      KEY_X
    ]);
    expect(text(a, 'jp-CythonPin-cacheKind')).toBe('module');
    expect(text(b, 'jp-CythonPin-cacheKind')).toBe('module · numpy');
    expect(odd.classList).toContain('jp-CythonPin-unreadableRow');
    expect(text(odd, 'jp-CythonPin-unreadable')).toBe(
      'Unreadable entry eeeeeeeeeeee'
    );
    expect(
      odd.querySelector('.jp-CythonPin-unreadable')!.getAttribute('title')
    ).toBe('result.entries[2].kind: expected one of module, package, shared');
    expect(odd.querySelectorAll('button')).toHaveLength(0);
    // the pins and the stats still show
    expect(
      panel.node
        .querySelector('.jp-CythonPin-pinRow')!
        .getAttribute('data-alias')
    ).toBe('square');
    expect(
      panel.node.querySelector('.jp-CythonPin-cacheStats')!.textContent
    ).toMatch(/^3 entries, 25 MiB/);
  });

  it('lists the shared utility module and the precompiled headers as toolchain entries, not cells', async () => {
    const { panel } = await setup();
    const rows = toolchainRows(panel);
    expect(rows.map(r => r.dataset.key)).toEqual([
      KEY_S,
      PCH,
      OLD_PCH,
      undefined
    ]);
    const [shared, gone, old, odd] = rows;
    expect(
      [shared, gone, old].map(r => [
        text(r, 'jp-CythonPin-toolchainKind'),
        text(r, 'jp-CythonPin-cacheSize'),
        text(r, 'jp-CythonPin-toolchainLabel'),
        text(r, 'jp-CythonPin-toolchainGone')
      ])
    ).toEqual([
      ['shared utility module', '200 KiB', NOW, null],
      [
        'precompiled Python.h',
        '13 MiB',
        'CPython 3.10.12 · Cython 3.0.11 · gcc 11.4.0',
        'no longer present'
      ],
      ['precompiled Python.h', '12 MiB', 'toolchain unknown', null]
    ]);
    expect(gone.classList).toContain('jp-mod-gone');
    expect(shared.textContent).toContain('-O0 -g');
    // no pin, team pin or import: they are not cells
    for (const r of rows) {
      expect(r.querySelectorAll('button')).toHaveLength(0);
    }
    expect(odd.classList).toContain('jp-CythonPin-unreadableRow');
    expect(
      odd.querySelector('.jp-CythonPin-unreadable')!.getAttribute('title')
    ).toBe('result.toolchain[3].kind: expected one of shared, pch');
    // no cache row for the shared module
    expect(
      panel.node.querySelector(`.jp-CythonPin-cacheRow[data-key="${KEY_S}"]`)
    ).toBeNull();
  });

  it('previews and runs clean-up of the toolchain entries of a toolchain that is gone', async () => {
    const { panel, helper, log } = await setup();
    (
      panel.node.querySelector('.jp-CythonPin-gcKeep') as HTMLInputElement
    ).value = '0';
    (
      panel.node.querySelector('.jp-CythonPin-gcPreview') as HTMLElement
    ).click();
    await flush(10);
    const preview = panel.node.querySelector('.jp-CythonPin-gcPreviewResult')!;
    expect(preview.firstChild!.textContent).toBe(
      'Would remove 2 entries and 1 toolchain entry, freeing 13 MiB; 1 kept (pinned builds are always kept).'
    );
    expect(
      [...preview.querySelectorAll('li')].map(li => li.textContent)
    ).toEqual([
      'bbbbbbbbbbbb cython_pin_bbbbbbbbbbbbbbbb (40 KiB)',
      'eeeeeeeeeeee unreadable entry',
      '000000000000 precompiled Python.h, CPython 3.10.12 · Cython 3.0.11 · gcc 11.4.0, no longer present (13 MiB)'
    ]);
    expect(toolchainRows(panel)).toHaveLength(4); // a dry run
    (panel.node.querySelector('.jp-CythonPin-gcRun') as HTMLElement).click();
    await flush(10);
    expect(log.notices).toEqual([
      'success: Removed 2 entries and 1 toolchain entry, freed 13 MiB.'
    ]);
    expect(helper.toolchain.map(t => t.id)).not.toContain(PCH);
    expect(toolchainRows(panel).map(r => r.dataset.key)).toEqual([
      KEY_S,
      OLD_PCH,
      undefined
    ]);
  });

  it('pins and unpins with such rows in the lists', async () => {
    const { panel, helper, log } = await setup();
    (
      panel.node
        .querySelector('.jp-CythonPin-pinRow[data-alias="square"]')!
        .querySelector('.jp-CythonPin-unpin') as HTMLElement
    ).click();
    await flush(10);
    expect(log.notices).toEqual(['success: Unpinned "square".']);
    expect(helper.pins.size).toBe(0);
    expect(panel.node.querySelector('.jp-CythonPin-pinRow')).toBeNull();
    expect(cacheRows(panel)).toHaveLength(3);
    expect(toolchainRows(panel)).toHaveLength(4);
  });
});

describe('the panel patches its DOM instead of rebuilding it', () => {
  async function threePins() {
    const helper = new FakeHelper();
    helper.pins.set('square', KEY_A);
    helper.pins.set('cube', KEY_B);
    helper.pins.set('sq_fast', KEY_A.replace(/a$/, 'c'));
    const connector = new FakeConnector(helper);
    const { registry } = registryWith(connector);
    const model = new PinManagerModel(registry);
    const panel = new PinManagerPanel(model, fakeHost().host);
    document.body.appendChild(panel.node);
    model.setTarget({
      connector: connector.asConnector(),
      label: 'demo.ipynb'
    });
    await flush();
    const row = (alias: string) =>
      panel.node.querySelector(`.jp-CythonPin-pinRow[data-alias="${alias}"]`);
    return { connector, model, panel, row };
  }

  it('a filter keystroke keeps the nodes of unchanged rows, and the focus in the filter', async () => {
    const { panel, row } = await threePins();
    const square = row('square');
    const sqFast = row('sq_fast');
    const button = square!.querySelector('.jp-CythonPin-unpin');
    const cacheTable = panel.node.querySelector('.jp-CythonPin-cacheTable');
    const input = panel.node.querySelector<HTMLInputElement>(
      '.jp-CythonPin-filter'
    )!;
    input.focus();
    for (const text of ['s', 'sq']) {
      input.value = text;
      input.dispatchEvent(new Event('input'));
    }
    expect(row('cube')).toBeNull();
    expect(row('square')).toBe(square);
    expect(row('sq_fast')).toBe(sqFast);
    expect(square!.querySelector('.jp-CythonPin-unpin')).toBe(button);
    expect(panel.node.querySelector('.jp-CythonPin-cacheTable')).toBe(
      cacheTable
    );
    expect(panel.node.querySelector('.jp-CythonPin-filter')).toBe(input);
    expect(document.activeElement).toBe(input);
    expect(input.value).toBe('sq');
    input.value = '';
    input.dispatchEvent(new Event('input'));
    expect(row('square')).toBe(square);
    expect(row('cube')).not.toBeNull();
    panel.dispose();
  });

  it('a kernel busy/idle signal changes the notice only; typed clean-up values stay', async () => {
    const { connector, model, panel, row } = await threePins();
    const square = row('square');
    const keep = panel.node.querySelector<HTMLInputElement>(
      '.jp-CythonPin-gcKeep'
    )!;
    keep.value = '3';
    connector.hold = true;
    connector.busy = true;
    const refreshing = model.refresh();
    await flush();
    expect(panel.node.querySelector('.jp-CythonPin-queued')).not.toBeNull();
    connector.release();
    await refreshing;
    await flush();
    expect(panel.node.querySelector('.jp-CythonPin-queued')).toBeNull();
    expect(row('square')).toBe(square);
    expect(panel.node.querySelector('.jp-CythonPin-gcKeep')).toBe(keep);
    expect(keep.value).toBe('3');
    panel.dispose();
  });
});

describe('a request the helper never answers', () => {
  afterEach(() => jest.useRealTimers());

  it('ends: the loading state goes and the panel says what happened', async () => {
    const { panel, model } = await setup();
    const connector = model.target!.connector as unknown as FakeConnector;
    jest.useFakeTimers();
    connector.hold = true; // the reply is lost (an interrupt before the helper answered)
    const refreshing = model.refresh();
    expect(panel.node.querySelector('.jp-CythonPin-loading')).not.toBeNull();
    jest.advanceTimersByTime(120_000);
    await refreshing;
    expect(panel.node.querySelector('.jp-CythonPin-loading')).toBeNull();
    expect(panel.node.querySelector('.jp-CythonPin-teamChecking')).toBeNull();
    expect(
      panel.node.querySelector('.jp-CythonPin-panelError')!.textContent
    ).toBe(
      'The helper did not answer the catalogue request within 60 s (the kernel may have been interrupted). Try again.'
    );
    expect(connector.client.pending).toEqual([]);
  });
});
