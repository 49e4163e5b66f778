import { TranslationBundle } from '@jupyterlab/translation';
import { IOpResults, IRemoteStatus, ITeamPinRow, Row } from '../protocol';
import type { IKernelConnector } from '../tokens';
import { NULL_TRANS } from '../translation';
import { filterRows } from './filter';

/**
 * The team cache as the panel shows it: the remote's status and the team pins, read with their own
 * `team_catalogue` request so a slow or hung remote never delays the personal list; `checking` while that
 * request is out.
 */
export class TeamCacheModel {
  /**
   * @param _connector the kernel the panel looks at now (a late reply for another one is dropped)
   * @param _changed called on every change of what the panel shows
   * @param _afterAction re-reads the whole panel after a team action: importing a team pin can bring its
   *   build into the local cache, and a team pin change is this panel's to show
   */
  constructor(
    private readonly _connector: () => IKernelConnector | null,
    private readonly _changed: () => void,
    private readonly _afterAction: () => void,
    private readonly _trans: TranslationBundle = NULL_TRANS
  ) {}

  /** Null until the first answer for this kernel. */
  get status(): IRemoteStatus | null {
    return this._status;
  }
  get pins(): Row<ITeamPinRow>[] {
    return this._pins;
  }
  get checking(): boolean {
    return this._checking > 0;
  }
  /** Why the last team_catalogue request failed (the remote's own problems are in status.message). */
  get error(): string | null {
    return this._error;
  }
  /** This kernel may change team pins. */
  get canWrite(): boolean {
    return this._status?.can_write ?? false;
  }

  /** Team pins whose alias or key contain the filter text. */
  filtered(filter: string): Row<ITeamPinRow>[] {
    return filterRows(this._pins, filter, p => [p.alias, p.key]);
  }

  /** Forget what was read (another kernel is selected). */
  reset(): void {
    this._status = null;
    this._pins = [];
    this._error = null;
    this._generation++;
  }

  /** Re-read the status and the team pins; only the newest request's answer is kept. */
  async refresh(): Promise<void> {
    const c = this._connector();
    if (!c || !c.isReady) {
      return;
    }
    const generation = ++this._generation;
    this._checking++;
    this._changed();
    try {
      const { remote, pins } = await c.request('team_catalogue', {});
      if (generation === this._generation && c === this._connector()) {
        this._status = remote;
        this._pins = pins;
        this._error = null;
      }
    } catch (e) {
      if (generation === this._generation) {
        this._error = e instanceof Error ? e.message : String(e);
      }
    } finally {
      this._checking--;
      this._changed();
    }
  }

  async importPinned(alias: string): Promise<IOpResults['import_pinned']> {
    return this._do(c => c.request('import_pinned', { alias, team: true }));
  }
  async rename(
    oldAlias: string,
    newAlias: string
  ): Promise<IOpResults['rename_pin']> {
    return this._do(c =>
      c.request('rename_pin', { old: oldAlias, new: newAlias, team: true })
    );
  }
  async unpin(alias: string): Promise<IOpResults['unpin']> {
    return this._do(c => c.request('unpin', { alias, team: true }));
  }

  private async _do<T>(f: (c: IKernelConnector) => Promise<T>): Promise<T> {
    const c = this._connector();
    if (!c) {
      throw new Error(this._trans.__('No notebook kernel is selected.'));
    }
    try {
      return await f(c);
    } finally {
      this._afterAction();
    }
  }

  private _status: IRemoteStatus | null = null;
  private _pins: Row<ITeamPinRow>[] = [];
  private _checking = 0;
  private _error: string | null = null;
  private _generation = 0;
}
