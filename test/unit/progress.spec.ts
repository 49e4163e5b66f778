import {
  markerText,
  progressText,
  updateMarker
} from '../../src/compile/cellMarker';
import { BuildProgress } from '../../src/compile/progress';
import { parseMagicLine } from '../../src/magic/parser';

function setup() {
  let now = 10000;
  const progress = new BuildProgress<object>(() => now, 500);
  const changes: object[] = [];
  progress.changed.connect((_, cell) => changes.push(cell));
  return { progress, changes, advance: (ms: number) => (now += ms) };
}

describe('BuildProgress', () => {
  afterEach(() => jest.useRealTimers());

  it('queued until the kernel starts the cell, then counts from the start', () => {
    const { progress, advance } = setup();
    const cell = {};
    progress.scheduled(cell);
    expect(progress.get(cell)).toEqual({
      queued: true,
      stage: null,
      startedAt: null
    });
    advance(5000);
    expect(progress.elapsed(cell)).toBe(0);
    progress.started(cell);
    advance(1500);
    expect(progress.get(cell)?.queued).toBe(false);
    expect(progress.elapsed(cell)).toBeCloseTo(1.5);
    progress.finished(cell);
    expect(progress.get(cell)).toBeNull();
  });

  it("takes the helper's stage and its earlier start", () => {
    const { progress, advance } = setup();
    const cell = {};
    progress.scheduled(cell);
    progress.started(cell);
    advance(200);
    progress.stage(cell, 'compile', 0.9);
    expect(progress.get(cell)?.stage).toBe('compile');
    expect(progress.elapsed(cell)).toBeCloseTo(0.9);
  });

  it('a stage event for a queued cell means it started', () => {
    const { progress } = setup();
    const cell = {};
    progress.scheduled(cell);
    progress.stage(cell, 'cython', 0);
    expect(progress.get(cell)?.queued).toBe(false);
  });

  it('running: the most recently started cell that still runs', () => {
    const { progress } = setup();
    const a = {};
    const b = {};
    progress.scheduled(a);
    progress.scheduled(b);
    expect(progress.running(() => true)).toBeNull();
    progress.started(a);
    progress.started(b);
    expect(progress.running(() => true)).toBe(b);
    expect(progress.running(c => c === a)).toBe(a);
    progress.finished(b);
    expect(progress.running(() => true)).toBe(a);
  });

  it('ticks while a cell runs, and stops when none does', () => {
    jest.useFakeTimers();
    const { progress, changes } = setup();
    const cell = {};
    progress.scheduled(cell);
    changes.length = 0;
    jest.advanceTimersByTime(2000);
    // Queued: nothing to count yet.
    expect(changes).toHaveLength(0);
    progress.started(cell);
    changes.length = 0;
    jest.advanceTimersByTime(1000);
    expect(changes).toEqual([cell, cell]);
    progress.finished(cell);
    changes.length = 0;
    jest.advanceTimersByTime(2000);
    expect(changes).toHaveLength(0);
  });
});

describe('the cell marker during a run', () => {
  const magic = parseMagicLine('%%cython_pin fast\ndef f(): pass')!;

  it('says queued while the kernel runs another cell', () => {
    expect(
      markerText(magic, 'building', undefined, {
        queued: true,
        stage: null,
        elapsed: 0
      })
    ).toBe('%%cython_pin · fast · queued');
  });

  it('says building… for the first second, then the stage and the seconds', () => {
    expect(
      progressText('building', { queued: false, stage: 'cython', elapsed: 0.4 })
    ).toBe('building…');
    expect(
      progressText('building', {
        queued: false,
        stage: 'compile',
        elapsed: 2.7
      })
    ).toBe('building · C compiler · 2 s');
    expect(
      progressText('building', { queued: false, stage: 'link', elapsed: 9 })
    ).toBe('building · linking · 9 s');
    expect(
      progressText('building', { queued: false, stage: 'waiting', elapsed: 3 })
    ).toBe('waiting for another build of this source · 3 s');
    expect(
      progressText('building', { queued: false, stage: null, elapsed: 1.2 })
    ).toBe('building · 1 s');
  });

  it('says built ahead once a build ahead of the current text is in the cache', () => {
    expect(markerText(magic, 'ahead')).toBe(
      '%%cython_pin · fast · built ahead'
    );
    const host = document.createElement('div');
    updateMarker(host, magic, 'ahead');
    const el = host.querySelector('.jp-CythonPin-cellMarker') as HTMLElement;
    expect(el.dataset.phase).toBe('ahead');
    expect(el.title).toBe(
      'Cython cell, pinned as "fast"; last build: built ahead'
    );
  });

  it('a finished build ignores leftover progress', () => {
    expect(
      progressText('ok', { queued: false, stage: 'link', elapsed: 5 })
    ).toBe('built');
  });

  it('marks the element queued / with its stage for styles and tests', () => {
    const host = document.createElement('div');
    updateMarker(host, magic, 'building', undefined, {
      queued: true,
      stage: null,
      elapsed: 0
    });
    const el = host.querySelector('.jp-CythonPin-cellMarker') as HTMLElement;
    expect(el.dataset.phase).toBe('building');
    expect(el.dataset.queued).toBe('true');
    expect(el.dataset.stage).toBeUndefined();
    updateMarker(host, magic, 'building', undefined, {
      queued: false,
      stage: 'compile',
      elapsed: 1.5
    });
    expect(el.dataset.queued).toBeUndefined();
    expect(el.dataset.stage).toBe('compile');
    expect(el.textContent).toBe(
      '%%cython_pin · fast · building · C compiler · 1 s'
    );
    updateMarker(host, magic, 'ok');
    expect(el.dataset.stage).toBeUndefined();
    expect(el.textContent).toBe('%%cython_pin · fast · built');
  });
});
