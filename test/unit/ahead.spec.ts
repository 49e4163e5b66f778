import { aheadSource } from '../../src/ahead/eligible';
import { liveDiagnostics } from '../../src/ahead/liveDiagnostics';
import { MIN_DELAY_MS, PrebuildScheduler } from '../../src/ahead/scheduler';
import {
  IDiagnostic,
  IOpResults,
  PrebuildStateEvent
} from '../../src/protocol';

interface ISent {
  cellId: string;
  generation: number;
  source: string;
  resolve: (r: IOpResults['prebuild']) => void;
  reject: (e: Error) => void;
}

function setup(delay = 1000) {
  const sent: ISent[] = [];
  const scheduler = new PrebuildScheduler({
    send: (cellId, generation, source) =>
      new Promise((resolve, reject) =>
        sent.push({ cellId, generation, source, resolve, reject })
      ),
    delayMs: () => delay
  });
  const answer = (s: ISent, decision: 'started' | 'cached' = 'started') =>
    s.resolve({
      cell_id: s.cellId,
      generation: s.generation,
      key: 'a'.repeat(64),
      decision,
      reason: null
    });
  return { sent, scheduler, answer };
}

/** Let promise callbacks run. */
const settle = () => Promise.resolve().then(() => undefined);

describe('PrebuildScheduler', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends once, after the pause, with the newest text and its generation', () => {
    const { sent, scheduler } = setup(1000);
    scheduler.edited('c1', '%%cython_pin\nd');
    jest.advanceTimersByTime(600);
    scheduler.edited('c1', '%%cython_pin\nde');
    jest.advanceTimersByTime(600);
    scheduler.edited('c1', '%%cython_pin\ndef');
    jest.advanceTimersByTime(999);
    expect(sent).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(sent.map(s => [s.cellId, s.generation, s.source])).toEqual([
      ['c1', 3, '%%cython_pin\ndef']
    ]);
    expect(scheduler.generation('c1')).toBe(3);
  });

  it('keeps one request in flight per cell; edits meanwhile send only the newest text once it settles', async () => {
    const { sent, scheduler, answer } = setup(1000);
    scheduler.edited('c1', 'v1');
    jest.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
    expect(scheduler.isInFlight('c1')).toBe(true);
    scheduler.edited('c1', 'v2');
    jest.advanceTimersByTime(1000);
    scheduler.edited('c1', 'v3');
    jest.advanceTimersByTime(1000);
    // The kernel has not answered the first: nothing more was sent.
    expect(sent).toHaveLength(1);
    answer(sent[0]);
    await settle();
    await settle();
    expect(sent.map(s => s.source)).toEqual(['v1', 'v3']);
    expect(sent[1].generation).toBe(3);
    answer(sent[1]);
    await settle();
    expect(scheduler.isInFlight('c1')).toBe(false);
    expect(scheduler.lastDecision('c1')?.generation).toBe(3);
    jest.advanceTimersByTime(5000);
    expect(sent).toHaveLength(2);
  });

  it('an edit while a request is in flight but before the pause ends waits for the pause', async () => {
    const { sent, scheduler, answer } = setup(1000);
    scheduler.edited('c1', 'v1');
    jest.advanceTimersByTime(1000);
    scheduler.edited('c1', 'v2');
    answer(sent[0]);
    await settle();
    await settle();
    expect(sent).toHaveLength(1);
    jest.advanceTimersByTime(1000);
    expect(sent.map(s => s.source)).toEqual(['v1', 'v2']);
  });

  it('cells are independent', () => {
    const { sent, scheduler } = setup(500);
    scheduler.edited('a', 'A');
    scheduler.edited('b', 'B');
    jest.advanceTimersByTime(500);
    expect(sent.map(s => [s.cellId, s.source])).toEqual([
      ['a', 'A'],
      ['b', 'B']
    ]);
  });

  it('a cell that stops being one to build ahead is not sent (and its generation still moves on)', () => {
    const { sent, scheduler } = setup(1000);
    scheduler.edited('c1', '%%cython_pin\nx = 1');
    jest.advanceTimersByTime(500);
    expect(scheduler.edited('c1', null)).toBe(2);
    jest.advanceTimersByTime(5000);
    expect(sent).toHaveLength(0);
  });

  it('cancel drops a pending send; cancelAll and dispose stop everything', () => {
    const { sent, scheduler } = setup(1000);
    scheduler.edited('a', 'A');
    scheduler.edited('b', 'B');
    scheduler.cancel('a');
    jest.advanceTimersByTime(1000);
    expect(sent.map(s => s.cellId)).toEqual(['b']);
    scheduler.edited('a', 'A2');
    scheduler.cancelAll();
    jest.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
    scheduler.dispose();
    scheduler.edited('a', 'A3');
    jest.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
  });

  it('honours a minimum pause whatever the setting says', () => {
    const { sent, scheduler } = setup(0);
    scheduler.edited('c1', 'x');
    jest.advanceTimersByTime(MIN_DELAY_MS - 1);
    expect(sent).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(sent).toHaveLength(1);
  });

  it('a refused request (no helper, older helper) frees the cell for the next edit', async () => {
    const { sent, scheduler } = setup(1000);
    scheduler.edited('c1', 'v1');
    jest.advanceTimersByTime(1000);
    sent[0].reject(new Error('unknown op'));
    await settle();
    await settle();
    expect(scheduler.isInFlight('c1')).toBe(false);
    scheduler.edited('c1', 'v2');
    jest.advanceTimersByTime(1000);
    expect(sent.map(s => s.source)).toEqual(['v1', 'v2']);
  });

  it('a text refused because the helper was not ready is sent when it is, once, and only the newest', async () => {
    const { sent, scheduler } = setup(1000);
    scheduler.edited('c1', 'v1');
    scheduler.edited('c2', 'w1');
    jest.advanceTimersByTime(1000);
    sent.forEach(s => s.reject(new Error('the helper is not ready')));
    await settle();
    await settle();
    scheduler.edited('c2', 'w2'); // typed again: its own pause sends it
    scheduler.helperReady();
    expect(sent.map(s => [s.cellId, s.generation, s.source])).toEqual([
      ['c1', 1, 'v1'],
      ['c2', 1, 'w1'],
      ['c1', 1, 'v1']
    ]);
    scheduler.helperReady(); // in flight: not sent twice
    expect(sent).toHaveLength(3);
    jest.advanceTimersByTime(1000);
    expect(sent.map(s => s.source)).toEqual(['v1', 'w1', 'v1', 'w2']);
  });

  it('a refused text that was cancelled (its cell ran) is not sent when the helper becomes ready', async () => {
    const { sent, scheduler } = setup(1000);
    scheduler.edited('c1', 'v1');
    jest.advanceTimersByTime(1000);
    sent[0].reject(new Error('the helper is not ready'));
    await settle();
    await settle();
    scheduler.cancel('c1');
    scheduler.helperReady();
    expect(sent).toHaveLength(1);
  });

  it('isCurrent is true only for the newest generation of a known cell', () => {
    const { scheduler } = setup();
    expect(scheduler.isCurrent('c1', 0)).toBe(false);
    scheduler.edited('c1', 'a');
    scheduler.edited('c1', 'b');
    expect(scheduler.isCurrent('c1', 1)).toBe(false);
    expect(scheduler.isCurrent('c1', 2)).toBe(true);
  });
});

describe('aheadSource: which cells are built ahead', () => {
  it('a %%cython_pin cell with code', () => {
    const src = '%%cython_pin fast\ndef f(int n):\n    return n';
    expect(aheadSource(src, false)).toBe(src);
  });
  it('not a plain Python cell, an empty magic cell, or a markdown-like text', () => {
    expect(aheadSource('def f(n):\n    return n', false)).toBeNull();
    expect(aheadSource('def f(n):\n    return n', true)).toBeNull();
    expect(aheadSource('%%cython_pin\n   \n', false)).toBeNull();
    expect(aheadSource('%%cython_pin', true)).toBeNull();
  });
  it('a %%cython cell only once it has been built through cython_pin (the takeover is on)', () => {
    const src = '%%cython\ndef f(int n):\n    return n';
    expect(aheadSource(src, false)).toBeNull();
    expect(aheadSource(src, true)).toBe(src);
  });
});

describe('liveDiagnostics: prebuild_state events become lint markers', () => {
  const error: IDiagnostic = {
    line: 3,
    column: 5,
    severity: 'error',
    message: 'undeclared name not builtin: y',
    source: 'cython',
    file: null
  };
  const event = (
    stage: PrebuildStateEvent['data']['stage'],
    generation: number,
    diagnostics: IDiagnostic[]
  ): PrebuildStateEvent['data'] => ({
    cell_id: 'c1',
    generation,
    key: 'b'.repeat(64),
    stage,
    diagnostics,
    elapsed_s: 0.05
  });
  const current = (id: string, g: number) => id === 'c1' && g === 4;

  it("show the Cython pass's diagnostics of the current text, or clear when it has none", () => {
    expect(liveDiagnostics(event('cython', 4, [error]), current)).toEqual([
      error
    ]);
    expect(liveDiagnostics(event('cython', 4, []), current)).toEqual([]);
  });
  it('never from an older generation (the user has typed since)', () => {
    expect(liveDiagnostics(event('cython', 3, [error]), current)).toBeNull();
    expect(liveDiagnostics(event('failed', 3, [error]), current)).toBeNull();
  });
  it('failed/done add what they have; empty ones and cancelled leave the markers alone', () => {
    expect(liveDiagnostics(event('failed', 4, [error]), current)).toEqual([
      error
    ]);
    expect(liveDiagnostics(event('failed', 4, []), current)).toBeNull();
    expect(liveDiagnostics(event('done', 4, []), current)).toBeNull();
    expect(liveDiagnostics(event('cancelled', 4, []), current)).toBeNull();
  });
});
