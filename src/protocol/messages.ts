/** Decoders for what the kernel sends on the comm: replies and events. */
import {
  BUILD_STAGES,
  BuildProgressEvent,
  CacheChangedEvent,
  ErrorInfo,
  Event,
  EVENT_NAMES,
  PinsChangedEvent,
  PREBUILD_STAGES,
  PrebuildStateEvent,
  Reply
} from '../_generated/protocol';
import { annotation } from './annotation';
import { diagnostic } from './diagnostic';
import {
  arr,
  bool,
  Decoded,
  fail,
  int,
  isRecord,
  JSONRecord,
  nonEmpty,
  num,
  oneOf,
  rec,
  run,
  str
} from './decode';

export function errorInfo(v: unknown, path: string): ErrorInfo {
  const e = rec(v, path);
  return {
    type: nonEmpty(e.type, `${path}.type`),
    message: str(e.message, `${path}.message`)
  };
}

export function decodeReply(value: unknown): Decoded<Reply> {
  return run((): Reply => {
    const m = rec(value, 'message');
    if (m.type !== 'reply') {
      fail('type', '"reply"');
    }
    if (bool(m.ok, 'ok')) {
      const id = nonEmpty(m.id, 'id');
      return { type: 'reply', id, ok: true, result: rec(m.result, 'result') };
    }
    const id = str(m.id, 'id');
    return { type: 'reply', id, ok: false, error: errorInfo(m.error, 'error') };
  });
}

function pinsChanged(
  cache_dir: string,
  d: {
    [key: string]: unknown;
  }
): PinsChangedEvent {
  const pins: PinsChangedEvent['data']['pins'] = {};
  for (const [alias, key] of Object.entries(rec(d.pins, 'data.pins'))) {
    pins[alias] = str(key, `data.pins.${alias}`);
  }
  return { type: 'event', event: 'pins_changed', data: { cache_dir, pins } };
}

function cacheChanged(cache_dir: string): CacheChangedEvent {
  return { type: 'event', event: 'cache_changed', data: { cache_dir } };
}

function seconds(v: unknown, path: string): number {
  const s = num(v, path);
  return s >= 0 ? s : fail(path, 'a number >= 0');
}

function generation(v: unknown, path: string): number {
  const g = int(v, path);
  return g >= 0 ? g : fail(path, 'an integer >= 0');
}

function prebuildState(d: JSONRecord): PrebuildStateEvent {
  return {
    type: 'event',
    event: 'prebuild_state',
    data: {
      cell_id: str(d.cell_id, 'data.cell_id'),
      generation: generation(d.generation, 'data.generation'),
      key: nonEmpty(d.key, 'data.key'),
      stage: oneOf(d.stage, 'data.stage', PREBUILD_STAGES),
      diagnostics: arr(d.diagnostics, 'data.diagnostics', diagnostic),
      elapsed_s: seconds(d.elapsed_s, 'data.elapsed_s'),
      ...(d.annotation !== undefined
        ? { annotation: annotation(d.annotation, 'data.annotation') }
        : {})
    }
  };
}

function buildProgress(d: JSONRecord): BuildProgressEvent {
  return {
    type: 'event',
    event: 'build_progress',
    data: {
      key: nonEmpty(d.key, 'data.key'),
      module_name: nonEmpty(d.module_name, 'data.module_name'),
      stage: oneOf(d.stage, 'data.stage', BUILD_STAGES),
      elapsed_s: seconds(d.elapsed_s, 'data.elapsed_s')
    }
  };
}

export function decodeEvent(value: unknown): Decoded<Event> {
  return run((): Event => {
    const m = rec(value, 'message');
    if (m.type !== 'event') {
      fail('type', '"event"');
    }
    const name = oneOf(m.event, 'event', EVENT_NAMES);
    const d = rec(m.data, 'data');
    switch (name) {
      case 'pins_changed':
        return pinsChanged(nonEmpty(d.cache_dir, 'data.cache_dir'), d);
      case 'cache_changed':
        return cacheChanged(nonEmpty(d.cache_dir, 'data.cache_dir'));
      case 'prebuild_state':
        return prebuildState(d);
      case 'build_progress':
        return buildProgress(d);
    }
  });
}

/** Decode anything arriving on the comm (reply or event). */
export function decodeIncoming(value: unknown): Decoded<Reply | Event> {
  if (isRecord(value) && value.type === 'event') {
    return decodeEvent(value);
  }
  if (isRecord(value) && value.type === 'reply') {
    return decodeReply(value);
  }
  return { ok: false, error: 'type: expected "reply" or "event"' };
}
