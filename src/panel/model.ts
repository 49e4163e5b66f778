import { ISignal, Signal } from '@lumino/signaling';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  ICacheRow,
  IGcArgs,
  IOpResults,
  IPinRow,
  IToolchainRow,
  Row
} from '../protocol';
import type { IConnectorRegistry, IKernelConnector } from '../tokens';
import { NULL_TRANS } from '../translation';
import { filterRows } from './filter';
import { TeamCacheModel } from './teamModel';

export interface IPinManagerTarget {
  connector: IKernelConnector;
  /** Display name of the notebook owning the kernel. */
  label: string;
}

export type GcPreview = IOpResults['gc_cache'];

/**
 * State of the pin manager panel: which kernel it looks at, the pins,
 * cache entries and toolchain entries it last read, the filter, pending/queued/errors. Views only
 * render this and call its methods.
 */
export class PinManagerModel {
  constructor(
    registry: IConnectorRegistry,
    private readonly _trans: TranslationBundle = NULL_TRANS
  ) {
    this.team = new TeamCacheModel(
      () => this._target?.connector ?? null,
      () => this._changed.emit(),
      () => void this.refresh(),
      _trans
    );
    registry.eventReceived.connect((_, { event }) => {
      if (
        this.cacheDir !== null &&
        'cache_dir' in event.data &&
        event.data.cache_dir === this.cacheDir
      ) {
        // Team pin changes come as pins_changed too; a new build does not change the team pins.
        this._scheduleRefresh(event.event === 'pins_changed');
      }
    });
    registry.stateChanged.connect((_, c) => {
      if (c === this._target?.connector) {
        if (c.isReady) {
          void this.refresh();
        } else {
          this._changed.emit();
        }
      }
    });
    registry.queueChanged.connect((_, c) => {
      if (c === this._target?.connector) {
        this._changed.emit();
      }
    });
  }

  /** The team cache's status and pins, read separately from the personal ones. */
  readonly team: TeamCacheModel;

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get target(): IPinManagerTarget | null {
    return this._target;
  }
  get pins(): Row<IPinRow>[] {
    return this._pins;
  }
  get entries(): Row<ICacheRow>[] {
    return this._entries;
  }
  /** The toolchain entries: shared utility modules and precompiled headers (not cells). */
  get toolchain(): Row<IToolchainRow>[] {
    return this._toolchain;
  }
  get stats(): IOpResults['cache_stats'] | null {
    return this._stats;
  }
  get cacheDir(): string | null {
    return (
      this._stats?.cache_dir ??
      this._target?.connector.state.info?.cache_dir ??
      null
    );
  }
  get filter(): string {
    return this._filter;
  }
  get loading(): boolean {
    return this._loading > 0;
  }
  get error(): string | null {
    return this._error;
  }
  get gcPreview(): GcPreview | null {
    return this._gcPreview;
  }
  /** A request is waiting behind a running cell. */
  get queued(): boolean {
    return this._target?.connector.isQueued ?? false;
  }
  get connected(): boolean {
    return this._target?.connector.isReady ?? false;
  }
  /**
   * Why the pins and the cache cannot be listed (null when connected): an empty list would claim there
   * are none.
   */
  get unavailableText(): string | null {
    if (this.connected) {
      return null;
    }
    const status = this._target?.connector.state.status;
    if (status === 'missing-helper') {
      return this._trans.__(
        'Unavailable: the cython_pin helper is not installed in this kernel.'
      );
    }
    return this._trans.__(
      'Unavailable until a kernel with the helper is connected.'
    );
  }
  /** One line: which notebook, kernel and cache, or why not connected. */
  get connectionText(): string {
    if (!this._target) {
      return this._trans.__(
        'No notebook selected: open a notebook with a Python kernel.'
      );
    }
    const { connector, label } = this._target;
    const s = connector.state;
    if (s.status !== 'ready' || !s.info) {
      return `${label}: ${s.message}`;
    }
    return this._trans.__(
      '%1 · kernel %2 · cache %3',
      label,
      s.kernelName ?? '?',
      s.info.cache_dir
    );
  }

  /** Pins whose alias, key or module name contain the filter text. */
  get filteredPins(): Row<IPinRow>[] {
    return filterRows(this._pins, this._filter, p => [
      p.alias,
      p.key,
      p.module_name
    ]);
  }

  setFilter(filter: string): void {
    if (filter !== this._filter) {
      this._filter = filter;
      this._changed.emit();
    }
  }

  setTarget(target: IPinManagerTarget | null): void {
    if (
      target?.connector === this._target?.connector &&
      target?.label === this._target?.label
    ) {
      return;
    }
    const sameConnector = target?.connector === this._target?.connector;
    this._target = target;
    if (!sameConnector) {
      this._pins = [];
      this._entries = [];
      this._toolchain = [];
      this._stats = null;
      this._gcPreview = null;
      this._error = null;
      this.team.reset();
    }
    this._changed.emit();
    if (!sameConnector && target?.connector.isReady) {
      void this.refresh();
    }
  }

  /**
   * Re-read pins, cache entries and stats (one request: one walk of the cache), and, unless `team` is
   * false, the team cache after it in a request of its own, which this does not wait for.
   */
  async refresh(team = true): Promise<void> {
    const c = this._requireConnector();
    if (!c) {
      return;
    }
    const personal = this._run(async () => {
      const { pins, entries, toolchain, stats } = await c.request(
        'catalogue',
        {}
      );
      if (c !== this._target?.connector) {
        return;
      }
      this._pins = pins;
      this._entries = entries;
      this._toolchain = toolchain;
      this._stats = stats;
    });
    if (team) {
      void this.team.refresh();
    }
    await personal;
  }

  async unpin(alias: string): Promise<IOpResults['unpin']> {
    return this._mutate(c => c.request('unpin', { alias }));
  }
  async rename(
    oldAlias: string,
    newAlias: string
  ): Promise<IOpResults['rename_pin']> {
    return this._mutate(c =>
      c.request('rename_pin', { old: oldAlias, new: newAlias })
    );
  }
  async importPinned(alias: string): Promise<IOpResults['import_pinned']> {
    return this._mutate(c => c.request('import_pinned', { alias }), false);
  }
  /** Dry run: what garbage collection would remove. */
  async previewGc(args: Omit<IGcArgs, 'dry_run'>): Promise<GcPreview> {
    const result = await this._mutate(
      c => c.request('gc_cache', { ...args, dry_run: true }),
      false
    );
    this._gcPreview = result;
    this._changed.emit();
    return result;
  }
  async runGc(args: Omit<IGcArgs, 'dry_run'>): Promise<GcPreview> {
    const result = await this._mutate(c =>
      c.request('gc_cache', { ...args, dry_run: false })
    );
    this._gcPreview = null;
    this._changed.emit();
    return result;
  }

  private async _mutate<T>(
    f: (c: IKernelConnector) => Promise<T>,
    refresh = true
  ): Promise<T> {
    const c = this._target?.connector;
    if (!c) {
      throw new Error(this._trans.__('No notebook kernel is selected.'));
    }
    this._loading++;
    this._changed.emit();
    try {
      const value = await f(c);
      this._error = null;
      return value;
    } finally {
      this._loading--;
      this._changed.emit();
      if (refresh) {
        void this.refresh();
      }
    }
  }

  private async _run(f: () => Promise<void>): Promise<void> {
    this._loading++;
    this._changed.emit();
    try {
      await f();
      this._error = null;
    } catch (e) {
      this._error = e instanceof Error ? e.message : String(e);
    } finally {
      this._loading--;
      this._changed.emit();
    }
  }

  private _requireConnector(): IKernelConnector | null {
    const c = this._target?.connector ?? null;
    if (!c || !c.isReady) {
      this._changed.emit();
      return null;
    }
    return c;
  }

  private _scheduleRefresh(team: boolean): void {
    this._refreshTeam ||= team;
    if (this._refreshTimer !== null) {
      return;
    }
    this._refreshTimer = setTimeout(() => {
      this._refreshTimer = null;
      const withTeam = this._refreshTeam;
      this._refreshTeam = false;
      void this.refresh(withTeam);
    }, 50);
  }

  private _target: IPinManagerTarget | null = null;
  private _pins: Row<IPinRow>[] = [];
  private _entries: Row<ICacheRow>[] = [];
  private _toolchain: Row<IToolchainRow>[] = [];
  private _stats: IOpResults['cache_stats'] | null = null;
  private _filter = '';
  private _loading = 0;
  private _error: string | null = null;
  private _gcPreview: GcPreview | null = null;
  private _refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private _refreshTeam = false;
  private _changed = new Signal<this, void>(this);
}
