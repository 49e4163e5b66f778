import { Signal } from '@lumino/signaling';
import { ProtocolClient } from '../../../src/kernel/client';
import type { IConnectionState, IKernelConnector } from '../../../src/tokens';
import { ConnectorRegistry } from '../../../src/kernel/registry';
import {
  ICacheRow,
  IOpArgs,
  IOpResults,
  IWireResults,
  JSONRecord,
  IRemoteStatus,
  IToolchainRow,
  Op,
  ProtocolEvent,
  PROTOCOL_VERSION,
  Reply
} from '../../../src/protocol';
import { decodeRequest } from './requests';

export const KEY_A = 'a'.repeat(64);
export const KEY_B = 'b'.repeat(64);

/**
 * An in-memory stand-in for the Python helper: answers protocol requests the
 * way protocol/cython-pin.schema.json says and pushes pins_changed /
 * cache_changed events.
 */
export class FakeHelper {
  cacheDir = '/tmp/cache';
  pins = new Map<string, string>();
  entries: ICacheRow[] = [
    {
      key: KEY_A,
      kind: 'module',
      module_name: 'cython_pin_aaaaaaaaaaaaaaaa',
      size_bytes: 61440,
      created_utc: '2026-11-25T12:00:00Z',
      profile: 'fast-debug',
      pgo: null,
      numpy: false,
      aliases: []
    },
    {
      key: KEY_B,
      kind: 'module',
      module_name: 'cython_pin_bbbbbbbbbbbbbbbb',
      size_bytes: 40960,
      created_utc: '2026-11-24T09:30:00Z',
      profile: 'release',
      pgo: null,
      numpy: true,
      aliases: []
    }
  ];
  /** The toolchain entries (shared utility modules, precompiled headers): none unless a test adds some. */
  toolchain: IToolchainRow[] = [];
  requests: { op: Op; args: unknown }[] = [];
  /** The team cache: its status (not configured unless a test sets one) and its pins. */
  remote: IRemoteStatus = {
    configured: false,
    url: null,
    mode: null,
    reachable: null,
    trusted_keys: 0,
    can_write: false,
    message: null
  };
  teamPins = new Map<string, string>();
  onEvent: (ev: ProtocolEvent) => void = () => undefined;

  handle(data: { [key: string]: unknown }): Reply {
    const d = decodeRequest(data);
    if (!d.ok) {
      return {
        type: 'reply',
        id: typeof data.id === 'string' ? data.id : '',
        ok: false,
        error: { type: 'ProtocolError', message: d.error }
      };
    }
    const { id, op, args } = d.value;
    this.requests.push({ op, args });
    try {
      const run = this.ops[op] as (a: typeof args) => IWireResults[typeof op];
      const result: JSONRecord = { ...run(args) };
      return { type: 'reply', id, ok: true, result };
    } catch (e) {
      const err = e as Error;
      return {
        type: 'reply',
        id,
        ok: false,
        error: { type: err.name, message: err.message }
      };
    }
  }

  /** The team pins, as far as the team cache lets this kernel use them. */
  private _teamPins(write: boolean): Map<string, string> {
    if (!this.remote.configured || !this.remote.reachable) {
      fail('RemoteError', 'Team pins need a reachable team cache.');
    }
    if (write && !this.remote.can_write) {
      fail('RemoteError', 'Team pins are read-only here.');
    }
    return this.teamPins;
  }

  private _pinsChanged(): void {
    this.onEvent({
      type: 'event',
      event: 'pins_changed',
      data: { cache_dir: this.cacheDir, pins: Object.fromEntries(this.pins) }
    });
  }

  /** One handler per op, typed by the generated OpArgs and OpResults. */
  private readonly ops: {
    [K in Op]: (args: IOpArgs[K]) => IWireResults[K];
  } = {
    list_pins: () => ({
      cache_dir: this.cacheDir,
      pins: [...this.pins.entries()].sort().map(([alias, key]) => {
        const e = this.entries.find(x => x.key === key);
        return {
          alias,
          key,
          module_name: e?.module_name ?? null,
          size_bytes: e?.size_bytes ?? null,
          created_utc: e?.created_utc ?? null,
          in_cache: !!e
        };
      })
    }),
    list_cached: () => ({
      cache_dir: this.cacheDir,
      entries: this.entries.map(e => ({
        ...e,
        aliases: [...this.pins.entries()]
          .filter(([, k]) => k === e.key)
          .map(([a]) => a)
      }))
    }),
    cache_stats: () => ({
      cache_dir: this.cacheDir,
      entries: this.entries.length,
      total_bytes: [...this.entries, ...this.toolchain].reduce(
        (n, e) => n + e.size_bytes,
        0
      ),
      pins: this.pins.size
    }),
    catalogue: () => ({
      cache_dir: this.cacheDir,
      pins: this.ops.list_pins({}).pins,
      entries: this.ops.list_cached({}).entries,
      toolchain: this.toolchain,
      stats: this.ops.cache_stats({})
    }),
    // Builds nothing: the scheduler's own tests fake the connector; here a prebuild is only answered.
    prebuild: a => ({
      cell_id: a.cell_id,
      generation: a.generation,
      key: null,
      decision: 'skipped',
      reason: 'the fake helper does not build'
    }),
    team_catalogue: () => ({
      remote: this.remote,
      pins: this.remote.reachable
        ? [...this.teamPins.entries()].sort().map(([alias, key]) => ({
            alias,
            key,
            in_cache: this.entries.some(e => e.key === key)
          }))
        : []
    }),
    pin: a => {
      if (a.team) {
        const pins = this._teamPins(true);
        const old = pins.get(a.alias);
        if (old && old !== a.key && !a.overwrite) {
          fail(
            'AliasCollisionError',
            `Alias collision: alias '${a.alias}' already points to a different key.`
          );
        }
        pins.set(a.alias, a.key);
        this._pinsChanged();
        return { alias: a.alias, key: a.key };
      }
      const old = this.pins.get(a.alias);
      if (old && old !== a.key && !a.overwrite) {
        fail(
          'ValueError',
          `Alias collision: alias '${a.alias}' already points to a different key.`
        );
      }
      this.pins.set(a.alias, a.key);
      this._pinsChanged();
      return { alias: a.alias, key: a.key };
    },
    unpin: a => {
      const removed = (a.team ? this._teamPins(true) : this.pins).delete(
        a.alias
      );
      this._pinsChanged();
      return { alias: a.alias, removed };
    },
    rename_pin: a => {
      const pins = a.team ? this._teamPins(true) : this.pins;
      const key =
        pins.get(a.old) ?? fail('KeyError', `No pin named '${a.old}'.`);
      const taken = pins.get(a.new);
      if (taken !== undefined && taken !== key) {
        fail(
          'AliasCollisionError',
          `Alias collision: alias '${a.new}' already points to a different key. Use overwrite=True to replace.`
        );
      }
      pins.delete(a.old);
      pins.set(a.new, key);
      this._pinsChanged();
      return { alias: a.new, key };
    },
    gc_cache: a => {
      const pinned = new Set(this.pins.values());
      const keep = a.keep_n_newest ?? this.entries.length;
      const removed = this.entries.filter(
        (e, i) => i >= keep && !pinned.has(e.key)
      );
      // a toolchain entry goes when its toolchain is gone
      const removedToolchain = this.toolchain.filter(t => t.present === false);
      if (!a.dry_run) {
        this.entries = this.entries.filter(e => !removed.includes(e));
        this.toolchain = this.toolchain.filter(
          t => !removedToolchain.includes(t)
        );
        this.onEvent({
          type: 'event',
          event: 'cache_changed',
          data: { cache_dir: this.cacheDir }
        });
      }
      return {
        dry_run: a.dry_run,
        removed,
        removed_toolchain: removedToolchain,
        freed_bytes: [...removed, ...removedToolchain].reduce(
          (n, e) => n + e.size_bytes,
          0
        ),
        kept: this.entries.length - (a.dry_run ? removed.length : 0)
      };
    },
    import_pinned: a => {
      const key =
        (a.team ? undefined : this.pins.get(a.alias)) ??
        this._teamPins(false).get(a.alias) ??
        fail('KeyError', `No pin named '${a.alias}'.`);
      return {
        alias: a.alias,
        key,
        module_name: `cython_pin_${key.slice(0, 16)}`,
        names: ['f']
      };
    },
    hello: () => ({
      protocol_version: PROTOCOL_VERSION,
      helper_version: '0.1.0',
      cache_dir: this.cacheDir,
      python_executable: '/usr/bin/python3',
      cython_version: '3.3.1'
    })
  };
}

/** Throws the way the helper reports a Python exception. */
function fail(name: string, message: string): never {
  const e = new Error(message);
  e.name = name;
  throw e;
}

/**
 * A connector double: real ProtocolClient, replies delivered asynchronously
 * from a FakeHelper, state and busy flag set by the test.
 */
export class FakeConnector {
  constructor(
    readonly helper: FakeHelper,
    label = 'python3'
  ) {
    this.client = new ProtocolClient(data => {
      if (this.hold || this.holdOps.has(String(data.op))) {
        this.held.push(data);
        return;
      }
      const reply = helper.handle(data);
      setTimeout(() => this.client.handleMessage(reply), 0);
    });
    helper.onEvent = ev => setTimeout(() => this.eventReceived.emit(ev), 0);
    this.client.pendingChanged.connect(() => this.queueChanged.emit());
    this.state = {
      status: 'ready',
      message: 'Connected',
      pipLine: null,
      info: {
        protocol_version: 1,
        helper_version: '0.1.0',
        cache_dir: helper.cacheDir,
        python_executable: '/usr/bin/python3',
        cython_version: '3.3.1'
      },
      kernelName: label,
      kernelId: 'k1'
    };
  }
  client: ProtocolClient;
  /** While true, requests wait (a kernel busy with a long cell). */
  hold = false;
  held: { [key: string]: unknown }[] = [];
  /** Requests of these ops wait until release() (a slow remote behind one op). */
  holdOps = new Set<string>();
  busy = false;
  state: IConnectionState;
  stateChanged = new Signal<this, IConnectionState>(this);
  eventReceived = new Signal<this, ProtocolEvent>(this);
  queueChanged = new Signal<this, void>(this);
  get isReady(): boolean {
    return this.state.status === 'ready';
  }
  get isQueued(): boolean {
    return this.client.pending.length > 0 && this.busy;
  }
  request<K extends Op>(op: K, args: IOpArgs[K]): Promise<IOpResults[K]> {
    return this.client.request(op, args);
  }
  /** Let held requests through (the long cell finished). */
  release(): void {
    this.hold = false;
    this.holdOps.clear();
    this.busy = false;
    for (const data of this.held.splice(0)) {
      const reply = this.helper.handle(data);
      setTimeout(() => this.client.handleMessage(reply), 0);
    }
    this.queueChanged.emit();
  }
  setState(patch: Partial<IConnectionState>): void {
    this.state = { ...this.state, ...patch };
    this.stateChanged.emit(this.state);
  }
  dispose(): void {
    /* nothing */
  }
  asConnector(): IKernelConnector {
    return this as unknown as IKernelConnector;
  }
}

export function registryWith(...connectors: FakeConnector[]): {
  registry: ConnectorRegistry;
  owners: object[];
} {
  const queue = [...connectors];
  const registry = new ConnectorRegistry(() =>
    (queue.shift() as FakeConnector).asConnector()
  );
  const owners = connectors.map(() => ({}));
  for (const o of owners) {
    registry.add(o, {} as never);
  }
  return { registry, owners };
}

/** Wait for queued timers and promise callbacks. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) {
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}
