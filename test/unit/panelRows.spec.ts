import { ICacheRow } from '../../src/protocol';
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

/** The cache after the demo's memoryview section: a cell, the shared utility module, and a row of a kind
 * this extension does not know (a newer helper). */
async function setup() {
  const helper = new FakeHelper();
  helper.pins.set('square', KEY_A);
  helper.entries.push(
    {
      key: KEY_S,
      kind: 'shared',
      module_name: `cython_pin_shared_${'5'.repeat(16)}`,
      size_bytes: 204800,
      created_utc: '2026-11-23T08:00:00Z',
      profile: null,
      pgo: null,
      numpy: false,
      aliases: []
    },
    {
      key: KEY_X,
      kind: 'toolchain-of-the-future',
      module_name: 'x',
      size_bytes: 1024,
      created_utc: '2026-11-22T08:00:00Z',
      profile: null,
      pgo: null,
      numpy: false,
      aliases: []
    } as unknown as ICacheRow
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

describe('one unexpected row never breaks the pin panel', () => {
  it('shows the shared utility module as what it is, and an unreadable row as such', async () => {
    const { panel, model } = await setup();
    expect(model.error).toBeNull();
    const [a, b, shared, odd] = cacheRows(panel);
    expect([a, b, shared, odd].map(r => r.dataset.key)).toEqual([
      KEY_A,
      KEY_B,
      KEY_S,
      KEY_X
    ]);
    expect(a.querySelector('.jp-CythonPin-cacheKind')!.textContent).toBe(
      'module'
    );
    expect(b.querySelector('.jp-CythonPin-cacheKind')!.textContent).toBe(
      'module · numpy'
    );
    expect(shared.querySelector('.jp-CythonPin-cacheKind')!.textContent).toBe(
      'shared utility module (memoryviews)'
    );
    expect(shared.querySelector('.jp-CythonPin-pinEntry')).toBeNull();
    expect(odd.classList).toContain('jp-CythonPin-unreadableRow');
    expect(odd.querySelector('.jp-CythonPin-unreadable')!.textContent).toBe(
      'Unreadable entry eeeeeeeeeeee'
    );
    expect(
      odd.querySelector('.jp-CythonPin-unreadable')!.getAttribute('title')
    ).toBe('result.entries[3].kind: expected one of module, package, shared');
    expect(odd.querySelectorAll('button')).toHaveLength(0);
    // the pins and the stats still show
    expect(
      panel.node
        .querySelector('.jp-CythonPin-pinRow')!
        .getAttribute('data-alias')
    ).toBe('square');
    expect(
      panel.node.querySelector('.jp-CythonPin-cacheStats')!.textContent
    ).toMatch(/^4 entries/);
  });

  it('pins, unpins and previews clean-up with such rows in the list', async () => {
    const { panel, helper, log } = await setup();
    (
      panel.node.querySelector('.jp-CythonPin-gcKeep') as HTMLInputElement
    ).value = '0';
    (
      panel.node.querySelector('.jp-CythonPin-gcPreview') as HTMLElement
    ).click();
    await flush(10);
    const preview = panel.node.querySelector('.jp-CythonPin-gcPreviewResult')!;
    expect(
      [...preview.querySelectorAll('li')].map(li => li.textContent)
    ).toEqual([
      'bbbbbbbbbbbb cython_pin_bbbbbbbbbbbbbbbb (40 KiB)',
      '555555555555 cython_pin_shared_5555555555555555 (200 KiB)',
      'eeeeeeeeeeee unreadable entry'
    ]);
    (
      panel.node
        .querySelector('.jp-CythonPin-pinRow[data-alias="square"]')!
        .querySelector('.jp-CythonPin-unpin') as HTMLElement
    ).click();
    await flush(10);
    expect(log.notices).toEqual(['success: Unpinned "square".']);
    expect(helper.pins.size).toBe(0);
    expect(panel.node.querySelector('.jp-CythonPin-pinRow')).toBeNull();
    expect(cacheRows(panel)).toHaveLength(4);
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
