import { ISignal, Signal } from '@lumino/signaling';
import type { BuildStage } from '../protocol';

/** Where a magic cell's run stands while the user waits for it. */
export interface ICellProgress {
  /** Scheduled, but the kernel has not started it (another cell runs). */
  queued: boolean;
  /** The build's stage, from the helper's build_progress events (null until the first). */
  stage: BuildStage | null;
  /** When the kernel started running it (ms, the clock's time); null while queued. */
  startedAt: number | null;
}

/** Monotonic milliseconds. */
export type Clock = () => number;

/**
 * Progress of the magic cells being run: queued until the kernel starts
 * them, then the build stage and the time since the start. While a cell
 * runs, `changed` is emitted for it every `tickMs`, so elapsed time is drawn
 * without any message from the kernel.
 */
export class BuildProgress<C extends object> {
  constructor(
    private readonly _clock: Clock = () => performance.now(),
    private readonly _tickMs = 500
  ) {}

  /** A cell's progress changed (or time passed while it runs). */
  get changed(): ISignal<this, C> {
    return this._changed;
  }

  get(cell: C): ICellProgress | null {
    return this._cells.get(cell) ?? null;
  }

  /** Seconds since the kernel started the cell (0 while queued or unknown). */
  elapsed(cell: C): number {
    const started = this._cells.get(cell)?.startedAt ?? null;
    return started === null ? 0 : (this._clock() - started) / 1000;
  }

  /** The cell was scheduled: queued until `started`. */
  scheduled(cell: C): void {
    this._cells.set(cell, { queued: true, stage: null, startedAt: null });
    this._changed.emit(cell);
  }

  /** The kernel started running the cell. */
  started(cell: C): void {
    const p = this._cells.get(cell);
    if (!p || !p.queued) {
      return;
    }
    p.queued = false;
    p.startedAt = this._clock();
    this._order.push(cell);
    this._ensureTicking();
    this._changed.emit(cell);
  }

  /** The helper says the cell's build entered `stage`, `elapsedS` after it began. */
  stage(cell: C, stage: BuildStage, elapsedS: number): void {
    const p = this._cells.get(cell);
    if (!p) {
      return;
    }
    if (p.queued) {
      this.started(cell);
    }
    p.stage = stage;
    // The helper's clock began before its first message reached us.
    const since = this._clock() - elapsedS * 1000;
    p.startedAt = Math.min(p.startedAt ?? since, since);
    this._changed.emit(cell);
  }

  /** The most recently started cell that still runs, among `candidates`. */
  running(candidates: (cell: C) => boolean): C | null {
    for (let i = this._order.length - 1; i >= 0; i--) {
      const cell = this._order[i];
      if (candidates(cell)) {
        return cell;
      }
    }
    return null;
  }

  /** The run ended (or was cancelled). */
  finished(cell: C): void {
    if (!this._cells.delete(cell)) {
      return;
    }
    this._order = this._order.filter(c => c !== cell);
    if (!this._order.length) {
      this._stopTicking();
    }
    this._changed.emit(cell);
  }

  dispose(): void {
    this._stopTicking();
    this._cells.clear();
    this._order = [];
    Signal.clearData(this);
  }

  private _ensureTicking(): void {
    if (this._timer === null) {
      this._timer = setInterval(() => {
        for (const cell of this._order) {
          this._changed.emit(cell);
        }
      }, this._tickMs);
    }
  }

  private _stopTicking(): void {
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _cells = new Map<C, ICellProgress>();
  /** Started cells, oldest first. */
  private _order: C[] = [];
  private _timer: ReturnType<typeof setInterval> | null = null;
  private _changed = new Signal<this, C>(this);
}
