/** Decoders for what the kernel sends on the comm: replies and events. */
import {
  CacheChangedEvent,
  ErrorInfo,
  Event,
  EVENT_NAMES,
  PinsChangedEvent,
  Reply
} from '../_generated/protocol';
import {
  bool,
  Decoded,
  fail,
  isRecord,
  nonEmpty,
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

export function decodeEvent(value: unknown): Decoded<Event> {
  return run((): Event => {
    const m = rec(value, 'message');
    if (m.type !== 'event') {
      fail('type', '"event"');
    }
    if (!EVENT_NAMES.includes(m.event as Event['event'])) {
      fail('event', `one of ${EVENT_NAMES.join(', ')}`);
    }
    const d = rec(m.data, 'data');
    const cacheDir = nonEmpty(d.cache_dir, 'data.cache_dir');
    return m.event === 'pins_changed'
      ? pinsChanged(cacheDir, d)
      : cacheChanged(cacheDir);
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
