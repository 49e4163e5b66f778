import { CodeCell } from '@jupyterlab/cells';
import { Signal } from '@lumino/signaling';
import { startBuildAhead } from '../../src/ahead/buildAhead';
import { BuildStateTracker } from '../../src/compile/buildState';
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
  const builtAhead: unknown[] = [];
  const builds = {
    sourceChanged,
    stateChanged,
    state: (cell: unknown) => ({
      phase: 'ok',
      result: results.has(cell) ? {} : null
    }),
    setBuiltAhead: (cell: unknown) => builtAhead.push(cell)
  } as unknown as IBuildStateTracker;
  const sent: { op: string; args: { [key: string]: unknown } }[] = [];
  /** The helper's decision for the next prebuild requests (none: it never answers). */
  const decisions: ('cached' | 'started')[] = [];
  const connector = {
    isReady: true as boolean,
    request: (op: string, args: { [key: string]: unknown }) => {
      sent.push({ op, args });
      const decision = decisions.shift();
      return decision
        ? Promise.resolve({
            ...args,
            key: 'a'.repeat(64),
            decision,
            reason: null
          })
        : new Promise(() => undefined);
    }
  };
  let source = '';
  // A real CodeCell's type (the helper's events name cells the notebook holds), with a fake model.
  const cell = Object.create(CodeCell.prototype) as CodeCell;
  Object.defineProperty(cell, 'model', {
    value: { id: 'cell-1', sharedModel: { getSource: () => source } }
  });
  const panel = { disposed: new Signal(owner), content: { widgets: [cell] } };
  const eventReceived = new Signal<IConnectorRegistry, IConnectorEvent>(
    owner as IConnectorRegistry
  );
  const registryStateChanged = new Signal<IConnectorRegistry, unknown>(
    owner as IConnectorRegistry
  );
  const registry = {
    get: () => connector,
    eventReceived,
    stateChanged: registryStateChanged
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
  const edit = (text: string) => {
    source = text;
    sourceChanged.emit({ panel, cell } as never);
  };
  const prebuildState = (generation: number, stage: 'done' | 'failed') =>
    eventReceived.emit({
      connector,
      event: {
        type: 'event',
        event: 'prebuild_state',
        data: {
          cell_id: 'cell-1',
          generation,
          key: 'a'.repeat(64),
          stage,
          diagnostics: [],
          elapsed_s: 1
        }
      }
    } as never);
  return {
    sent,
    edit,
    cell,
    panel,
    settings,
    changed,
    stateChanged,
    results,
    builtAhead,
    decisions,
    prebuildState,
    connector,
    /** The connector's state changed (e.g. the helper of a restarted kernel answered). */
    connectorChanged: () => registryStateChanged.emit(connector)
  };
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

  it('an edit made before the helper was ready (a new kernel) is sent once the helper is', async () => {
    const { sent, edit, connector, connectorChanged } = setup({
      buildAheadDelayMs: 400,
      liveAnnotation: false
    });
    edit(MAGIC); // seen
    connector.isReady = false;
    edit(MAGIC + ' + 1');
    jest.advanceTimersByTime(400);
    await Promise.resolve();
    await Promise.resolve();
    expect(sent).toHaveLength(0);
    connectorChanged(); // still starting: nothing yet
    expect(sent).toHaveLength(0);
    connector.isReady = true;
    connectorChanged();
    expect(sent.map(s => [s.op, s.args.generation, s.args.source])).toEqual([
      ['prebuild', 1, MAGIC + ' + 1']
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

  it('a finished build ahead of the current text marks the cell built ahead; of older text, not', () => {
    const { edit, cell, builtAhead, prebuildState } = setup();
    edit(MAGIC);
    edit(`${MAGIC} + 1`); // generation 1
    jest.advanceTimersByTime(5000);
    prebuildState(1, 'failed');
    expect(builtAhead).toEqual([]);
    prebuildState(1, 'done');
    expect(builtAhead).toEqual([cell]);
    edit(`${MAGIC} + 2`); // generation 2: the build of generation 1 is not this text
    prebuildState(1, 'done');
    expect(builtAhead).toEqual([cell]);
  });

  it('a cell whose text is in the cache already is marked at once (the "cached" reply)', async () => {
    const { edit, cell, builtAhead, decisions } = setup();
    edit(MAGIC);
    decisions.push('started', 'cached');
    edit(`${MAGIC} + 1`);
    jest.advanceTimersByTime(5000);
    await Promise.resolve();
    expect(builtAhead).toEqual([]); // started: not built yet
    edit(`${MAGIC} + 2`);
    jest.advanceTimersByTime(5000);
    await Promise.resolve();
    await Promise.resolve();
    expect(builtAhead).toEqual([cell]);
  });
});

describe('BuildStateTracker: built ahead', () => {
  /** One notebook with one magic cell, as far as the tracker looks at them. */
  async function watched() {
    const owner = {};
    const sourceSignal = new Signal<object, { sourceChange?: unknown }>(owner);
    const cell = Object.create(CodeCell.prototype) as CodeCell;
    const classes = new Set<string>();
    Object.defineProperties(cell, {
      model: {
        value: {
          id: 'cell-1',
          outputs: { length: 0, changed: new Signal(owner) },
          sharedModel: {
            getSource: () => '%%cython_pin\ndef f(): pass',
            changed: sourceSignal
          }
        }
      },
      isDisposed: { value: false },
      disposed: { value: new Signal(owner) },
      addClass: { value: (c: string) => classes.add(c) },
      removeClass: { value: (c: string) => classes.delete(c) }
    });
    const panel = {
      isDisposed: false,
      context: { ready: Promise.resolve() },
      content: {
        widgets: [cell],
        model: { cells: { changed: new Signal(owner) } },
        modelChanged: new Signal(owner)
      }
    };
    const tracker = {
      widgetAdded: new Signal(owner),
      forEach: (f: (p: unknown) => void) => f(panel)
    };
    const builds = new BuildStateTracker(tracker as never);
    await Promise.resolve();
    const phases: string[] = [];
    builds.stateChanged.connect((_, { state }) => phases.push(state.phase));
    const edit = () => sourceSignal.emit({ sourceChange: [] });
    return { builds, cell, phases, edit };
  }

  it('says built ahead until the next edit or run of the cell', async () => {
    const { builds, cell, phases, edit } = await watched();
    expect(builds.state(cell).phase).toBe('none');
    builds.setBuiltAhead(cell);
    expect(builds.state(cell).phase).toBe('ahead');
    expect(phases).toEqual(['ahead']);
    edit();
    expect(builds.state(cell).phase).toBe('none');
    builds.setBuiltAhead(cell);
    builds.setBuilding(cell, true);
    expect(builds.state(cell).phase).toBe('building');
    builds.setBuilding(cell, false);
    expect(builds.state(cell).phase).toBe('none'); // the run's result (none here) says what it is
    expect(phases).toEqual(['ahead', 'ahead', 'building', 'none']);
  });
});
