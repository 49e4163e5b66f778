import {
  CythonPinError,
  ProtocolClient,
  REQUEST_TIMEOUT_MS
} from '../../src/kernel/client';
import {
  activationCode,
  activationFailure,
  interpretActivation
} from '../../src/kernel/activation';
import { ProtocolEvent } from '../../src/protocol';
import { FakeHelper, flush, KEY_A } from './helpers/fakeHelper';

function connected(helper = new FakeHelper()) {
  const sent: { [key: string]: unknown }[] = [];
  const client = new ProtocolClient(data => {
    sent.push(data);
    const reply = helper.handle(data);
    setTimeout(() => client.handleMessage(reply), 0);
  });
  helper.onEvent = ev => client.handleMessage(ev);
  return { client, sent, helper };
}

describe('ProtocolClient', () => {
  it('sends typed requests with unique ids and resolves decoded results', async () => {
    const { client, sent } = connected();
    const [hello, pins] = await Promise.all([
      client.request('hello', {}),
      client.request('list_pins', {})
    ]);
    expect(hello.cython_version).toBe('3.3.1');
    expect(pins).toEqual({ cache_dir: '/tmp/cache', pins: [] });
    expect(sent.map(m => m.op)).toEqual(['hello', 'list_pins']);
    expect(new Set(sent.map(m => m.id)).size).toBe(2);
    expect(client.pending).toEqual([]);
  });

  it('rejects with the helper error type and its user-facing message', async () => {
    const { client } = connected();
    await client.request('pin', { key: KEY_A, alias: 'sq' });
    const err = await client
      .request('pin', { key: 'c'.repeat(64), alias: 'sq' })
      .catch((e: CythonPinError) => e);
    expect(err).toBeInstanceOf(CythonPinError);
    expect((err as CythonPinError).type).toBe('ValueError');
    expect((err as CythonPinError).message).toMatch(
      /Alias collision: alias 'sq'/
    );
  });

  it('emits pushed events', async () => {
    const { client } = connected();
    const events: ProtocolEvent[] = [];
    client.eventReceived.connect((_, ev) => events.push(ev));
    await client.request('pin', { key: KEY_A, alias: 'sq' });
    expect(events).toEqual([
      {
        type: 'event',
        event: 'pins_changed',
        data: { cache_dir: '/tmp/cache', pins: { sq: KEY_A } }
      }
    ]);
  });

  it('ends pending requests with an error when the kernel dies, never hangs', async () => {
    const client = new ProtocolClient(() => undefined); // no reply ever comes
    const pending = client.request('list_pins', {});
    expect(client.pending.map(p => p.op)).toEqual(['list_pins']);
    client.close('KernelDied', 'The kernel died before the helper answered.');
    await expect(pending).rejects.toMatchObject({
      type: 'KernelDied',
      message: 'The kernel died before the helper answered.'
    });
    expect(client.pending).toEqual([]);
    await expect(client.request('hello', {})).rejects.toMatchObject({
      type: 'KernelDied'
    });
  });

  it('turns a malformed reply into a readable protocol error', async () => {
    const client = new ProtocolClient(data =>
      setTimeout(() =>
        client.handleMessage({
          type: 'reply',
          id: data.id,
          ok: true,
          result: { cache_dir: '/c', pins: 'nope' }
        })
      )
    );
    await expect(client.request('list_pins', {})).rejects.toMatchObject({
      type: 'ProtocolError',
      message:
        'Malformed list_pins reply from the helper (result.pins: expected an array)'
    });
  });

  it('ignores replies to unknown ids and garbage', async () => {
    const { client } = connected();
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    client.handleMessage({ type: 'reply', id: 'nope', ok: true, result: {} });
    client.handleMessage(42);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    await flush();
    await expect(client.request('hello', {})).resolves.toMatchObject({
      protocol_version: 1
    });
  });
});

describe('every request ends', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A helper that never answers (the reply was lost to an interrupt); `busy`: the kernel's state. */
  function silent() {
    const state = { busy: false };
    const client = new ProtocolClient(() => undefined, undefined, {
      isBusy: () => state.busy
    });
    return { client, state };
  }

  it('rejects a request with no reply after its op timeout', async () => {
    const { client } = silent();
    const outcome = client
      .request('catalogue', {})
      .catch((e: CythonPinError) => e);
    jest.advanceTimersByTime(REQUEST_TIMEOUT_MS.catalogue - 1);
    expect(client.pending).toHaveLength(1);
    jest.advanceTimersByTime(1);
    const err = await outcome;
    expect(err).toBeInstanceOf(CythonPinError);
    expect(err).toMatchObject({
      type: 'Timeout',
      message:
        'The helper did not answer the catalogue request within 60 s (the kernel may have been interrupted). Try again.'
    });
    expect(client.pending).toEqual([]);
  });

  it('gives long ops longer, and waits while the kernel is busy', async () => {
    const { client, state } = silent();
    state.busy = true; // a long cell runs: the request is queued behind it
    const gc = client
      .request('gc_cache', { dry_run: false, max_bytes: 0 })
      .catch((e: CythonPinError) => e);
    jest.advanceTimersByTime(REQUEST_TIMEOUT_MS.gc_cache * 3);
    expect(client.pending.map(p => p.op)).toEqual(['gc_cache']);
    state.busy = false;
    jest.advanceTimersByTime(REQUEST_TIMEOUT_MS.gc_cache);
    expect(await gc).toMatchObject({ type: 'Timeout' });
    expect(REQUEST_TIMEOUT_MS.gc_cache).toBeGreaterThan(
      REQUEST_TIMEOUT_MS.catalogue
    );
  });

  it("ends an interrupted op with the helper's Interrupted error, and clears its timer", async () => {
    const client = new ProtocolClient(data => {
      client.handleMessage({
        type: 'reply',
        id: data.id,
        ok: false,
        error: {
          type: 'Interrupted',
          message:
            'The kernel was interrupted while it ran the gc_cache request; it may have been done in part.'
        }
      });
    });
    const err = await client
      .request('gc_cache', { dry_run: true, max_bytes: 0 })
      .catch((e: CythonPinError) => e);
    expect(err).toMatchObject({ type: 'Interrupted' });
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('activation reply (docs/protocol.md §1)', () => {
  it('names the cache directory only when one was being set', () => {
    expect(
      activationFailure(
        { status: 'error', ename: 'PermissionError', evalue: 'denied' },
        '/srv/cache'
      )
    ).toBe(
      'Setting the cache directory /srv/cache failed in the kernel (PermissionError: denied).'
    );
    const plain = activationFailure({ status: 'aborted' }, '');
    expect(plain).toBe(
      'The kernel did not run the helper activation (the request was aborted).'
    );
    expect(plain).not.toMatch(/cache directory/);
  });

  it('accepts protocol version 1', () => {
    expect(
      interpretActivation({
        python: { status: 'ok', data: { 'text/plain': "'/usr/bin/python3'" } },
        activate: { status: 'ok', data: { 'text/plain': '1' } }
      })
    ).toEqual({ ok: true });
  });

  it('gives the exact pip line for that kernel when the helper is missing', () => {
    expect(
      interpretActivation({
        python: {
          status: 'ok',
          data: { 'text/plain': "'/opt/envs/sci/bin/python'" }
        },
        activate: {
          status: 'error',
          ename: 'ModuleNotFoundError',
          evalue: "No module named 'cython_pin'"
        }
      })
    ).toEqual({
      ok: false,
      missing: true,
      pipLine: '"/opt/envs/sci/bin/python" -m pip install cython-pin'
    });
  });

  it('explains other failures and version mismatches', () => {
    const other = interpretActivation({
      activate: { status: 'error', ename: 'RuntimeError', evalue: 'boom' }
    });
    expect(other).toEqual({
      ok: false,
      missing: false,
      message: 'Loading the cython_pin helper failed: RuntimeError: boom'
    });
    const mismatch = interpretActivation({
      activate: { status: 'ok', data: { 'text/plain': '2' } }
    });
    expect(mismatch.ok).toBe(false);
    expect(!mismatch.ok && !mismatch.missing && mismatch.message).toMatch(
      /speaks protocol 2, this extension speaks 1/
    );
  });

  it('runs no code unless a cache directory override is set or to be removed', () => {
    expect(activationCode('')).toBe('');
    expect(activationCode('', true)).toBe(
      "__import__('os').environ.pop('CYTHON_PIN_CACHE_DIR', None)"
    );
    expect(activationCode('/data/cache "x"')).toBe(
      '__import__(\'os\').environ.__setitem__(\'CYTHON_PIN_CACHE_DIR\', "/data/cache \\"x\\"")'
    );
  });
});
