import { Signal } from '@lumino/signaling';
import { startBuildAhead } from '../../src/ahead/buildAhead';
import { readConfig } from '../../src/settings';
import type {
  IBuildStateTracker,
  ICellEvent,
  ICellStateEvent,
  IConnectorEvent,
  IConnectorRegistry,
  ICythonPinSettings
} from '../../src/tokens';
import type { ICythonPinConfig } from '../../src/settings';

/** The app around startBuildAhead, faked: one notebook, one connector that records prebuild requests. */
function setup(raw: { [key: string]: unknown } = {}) {
  const owner = {};
  const sourceChanged = new Signal<IBuildStateTracker, ICellEvent>(
    owner as IBuildStateTracker
  );
  const stateChanged = new Signal<IBuildStateTracker, ICellStateEvent>(
    owner as IBuildStateTracker
  );
  const results = new Set<unknown>();
  const builds = {
    sourceChanged,
    stateChanged,
    state: (cell: unknown) => ({
      phase: 'ok',
      result: results.has(cell) ? {} : null
    })
  } as unknown as IBuildStateTracker;
  const sent: { op: string; args: { [key: string]: unknown } }[] = [];
  const connector = {
    isReady: true,
    request: (op: string, args: { [key: string]: unknown }) => {
      sent.push({ op, args });
      return new Promise(() => undefined);
    }
  };
  const panel = { disposed: new Signal(owner), content: { widgets: [] } };
  const registry = {
    get: () => connector,
    eventReceived: new Signal<IConnectorRegistry, IConnectorEvent>(
      owner as IConnectorRegistry
    )
  } as unknown as IConnectorRegistry;
  const tracker = {
    forEach: (f: (p: unknown) => void) => f(panel),
    find: () => panel
  };
  const changed = new Signal<ICythonPinSettings, ICythonPinConfig>(
    owner as ICythonPinSettings
  );
  const settings = { config: readConfig(raw), changed };
  startBuildAhead({
    tracker: tracker as never,
    registry,
    builds,
    settings
  });
  let source = '';
  const cell = {
    model: { id: 'cell-1', sharedModel: { getSource: () => source } }
  };
  const edit = (text: string) => {
    source = text;
    sourceChanged.emit({ panel, cell } as never);
  };
  return { sent, edit, cell, panel, settings, changed, stateChanged, results };
}

const MAGIC = '%%cython_pin\ndef f(int n):\n    return n';

describe('startBuildAhead', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends prebuild for an edited magic cell after the configured pause, not for the cell being first seen', () => {
    const { sent, edit } = setup({
      buildAheadDelayMs: 400,
      liveAnnotation: false
    });
    edit(MAGIC); // the notebook opened: the cell is seen
    jest.advanceTimersByTime(5000);
    expect(sent).toHaveLength(0);
    edit(`${MAGIC} + 1`);
    jest.advanceTimersByTime(399);
    expect(sent).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual([
      {
        op: 'prebuild',
        args: { cell_id: 'cell-1', generation: 1, source: `${MAGIC} + 1` }
      }
    ]);
  });

  it('asks for the annotation when liveAnnotation is on, and only then', () => {
    for (const liveAnnotation of [true, false]) {
      const { sent, edit } = setup({ liveAnnotation });
      edit(MAGIC);
      edit(`${MAGIC} + 1`);
      jest.advanceTimersByTime(5000);
      expect(sent.map(r => r.args.annotate)).toEqual([
        liveAnnotation ? true : undefined
      ]);
    }
  });

  it('sends nothing when the setting is off, and turning it off drops a pending send', () => {
    const off = setup({ buildAhead: false });
    off.edit(MAGIC);
    off.edit(`${MAGIC} + 1`);
    jest.advanceTimersByTime(5000);
    expect(off.sent).toHaveLength(0);

    const on = setup();
    on.edit(MAGIC);
    on.edit(`${MAGIC} + 1`);
    jest.advanceTimersByTime(500);
    on.settings.config = readConfig({ buildAhead: false });
    on.changed.emit(on.settings.config);
    jest.advanceTimersByTime(5000);
    expect(on.sent).toHaveLength(0);
  });

  it('a run of the cell drops its pending build ahead (the run builds it)', () => {
    const { sent, edit, cell, panel, stateChanged } = setup();
    edit(MAGIC);
    edit(`${MAGIC} + 1`);
    stateChanged.emit({
      panel,
      cell,
      state: { phase: 'building', result: null }
    } as never);
    jest.advanceTimersByTime(5000);
    expect(sent).toHaveLength(0);
  });

  it('plain Python cells are never sent; %%cython cells once built through cython_pin', () => {
    const { sent, edit, cell, results } = setup();
    edit('x = 1');
    edit('x = 2');
    edit('%%cython\ndef f(): pass');
    jest.advanceTimersByTime(5000);
    expect(sent).toHaveLength(0);
    results.add(cell);
    edit('%%cython\ndef f(): return 1');
    jest.advanceTimersByTime(5000);
    expect(sent.map(s => s.args.source)).toEqual([
      '%%cython\ndef f(): return 1'
    ]);
  });
});
