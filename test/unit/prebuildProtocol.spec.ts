import { decodeEvent, decodeResult } from '../../src/protocol';
import { readConfig } from '../../src/settings';

const KEY = 'c71820fcbdd3d3be311db100faa9f7ce550548267112a935bc644a9c9e59e29d';

describe('prebuild decoders', () => {
  it('decode a prebuild result of each decision', () => {
    const started = {
      cell_id: 'cell-1',
      generation: 7,
      key: KEY,
      decision: 'started',
      reason: null
    };
    expect(decodeResult('prebuild', started)).toEqual({
      ok: true,
      value: started
    });
    const skipped = {
      cell_id: 'cell-1',
      generation: 8,
      key: null,
      decision: 'skipped',
      reason: 'the source is over 200 kB'
    };
    expect(decodeResult('prebuild', skipped)).toEqual({
      ok: true,
      value: skipped
    });
  });

  it('reject a result with an unknown decision, naming the field', () => {
    const r = decodeResult('prebuild', {
      cell_id: 'c',
      generation: 0,
      key: null,
      decision: 'maybe',
      reason: null
    });
    expect(r).toEqual({
      ok: false,
      error: 'result.decision: expected one of cached, started, skipped'
    });
  });

  it('decode prebuild_state with its diagnostics', () => {
    const message = {
      type: 'event',
      event: 'prebuild_state',
      data: {
        cell_id: 'cell-1',
        generation: 3,
        key: KEY,
        stage: 'cython',
        diagnostics: [
          {
            line: 3,
            column: 12,
            severity: 'error',
            message: 'undeclared name not builtin: y',
            source: 'cython',
            file: null
          }
        ],
        elapsed_s: 0.04
      }
    };
    expect(decodeEvent(message)).toEqual({ ok: true, value: message });
  });

  it('reject prebuild_state with a bad stage or a negative generation', () => {
    const data = {
      cell_id: 'c',
      generation: 1,
      key: KEY,
      stage: 'cython',
      diagnostics: [],
      elapsed_s: 0
    };
    const ev = (d: object) => ({
      type: 'event',
      event: 'prebuild_state',
      data: d
    });
    expect(decodeEvent(ev({ ...data, stage: 'linking' }))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^data\.stage: expected one of/)
    });
    expect(decodeEvent(ev({ ...data, generation: -1 }))).toMatchObject({
      ok: false,
      error: 'data.generation: expected an integer >= 0'
    });
    expect(
      decodeEvent(ev({ ...data, diagnostics: [{ line: 1 }] }))
    ).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^data\.diagnostics\[0\]/)
    });
  });

  it('decode build_progress; reject an unknown stage', () => {
    const message = {
      type: 'event',
      event: 'build_progress',
      data: {
        key: KEY,
        module_name: 'cython_pin_c71820fcbdd3d3be',
        stage: 'compile',
        elapsed_s: 1.25
      }
    };
    expect(decodeEvent(message)).toEqual({ ok: true, value: message });
    expect(
      decodeEvent({ ...message, data: { ...message.data, stage: 'queued' } })
    ).toMatchObject({ ok: false });
    expect(
      decodeEvent({ ...message, data: { ...message.data, elapsed_s: -1 } })
    ).toMatchObject({
      ok: false,
      error: 'data.elapsed_s: expected a number >= 0'
    });
  });

  it('still decode the older events, and reject an unknown event name', () => {
    expect(
      decodeEvent({
        type: 'event',
        event: 'cache_changed',
        data: { cache_dir: '/c' }
      })
    ).toMatchObject({ ok: true });
    expect(
      decodeEvent({ type: 'event', event: 'nope', data: {} })
    ).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^event: expected one of/)
    });
  });
});

describe('build-ahead settings', () => {
  it('default to on, with a 1 s pause', () => {
    expect(readConfig({})).toMatchObject({
      buildAhead: true,
      buildAheadDelayMs: 1000
    });
  });
  it('a pause outside the schema range, or of the wrong type, falls back to the default', () => {
    expect(readConfig({ buildAheadDelayMs: 250 }).buildAheadDelayMs).toBe(250);
    expect(readConfig({ buildAheadDelayMs: 50 }).buildAheadDelayMs).toBe(1000);
    expect(readConfig({ buildAheadDelayMs: 1e9 }).buildAheadDelayMs).toBe(1000);
    expect(readConfig({ buildAheadDelayMs: '300' }).buildAheadDelayMs).toBe(
      1000
    );
    expect(readConfig({ buildAhead: false }).buildAhead).toBe(false);
  });
});
