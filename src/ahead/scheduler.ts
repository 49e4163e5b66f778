import type { IOpResults } from '../protocol';

/** Sends one `prebuild` request; resolves with the helper's decision. */
export type PrebuildSend = (
  cellId: string,
  generation: number,
  source: string
) => Promise<IOpResults['prebuild']>;

export interface IPrebuildSchedulerOptions {
  send: PrebuildSend;
  /** The pause (ms) after the last edit before a cell is sent; read at each edit. */
  delayMs: () => number;
}

interface ICellSlot {
  /** Bumped by every edit: events of an older generation describe old text. */
  generation: number;
  /** What to send for the current generation (null: not a cell to build ahead). */
  source: string | null;
  timer: ReturnType<typeof setTimeout> | null;
  /** The generation of the request waiting for its reply, if any. */
  inFlight: number | null;
  /** The pause ended while a request was in flight: send the newest once it settles. */
  due: boolean;
  /** The current text was refused (the helper was not ready): sent when the helper is. */
  refused: boolean;
  last: IOpResults['prebuild'] | null;
}

/** The shortest pause honoured, whatever the setting says (each request cancels a background build). */
export const MIN_DELAY_MS = 200;

/**
 * When to send `prebuild` for the cells of one notebook: after a pause in the
 * edits of a cell, with the cell's current generation and text. At most one
 * request per cell is in flight; edits made meanwhile are sent when it
 * settles (only the newest text: older ones are never sent).
 */
export class PrebuildScheduler {
  constructor(options: IPrebuildSchedulerOptions) {
    this._send = options.send;
    this._delayMs = options.delayMs;
  }

  /**
   * The cell's text changed: a new generation. `source` is what to build
   * ahead, or null when the cell is not one to build ahead (nothing is sent,
   * and a pending send is dropped). Returns the new generation.
   */
  edited(cellId: string, source: string | null): number {
    const slot = this._slot(cellId);
    slot.generation++;
    slot.source = source;
    this._clear(slot);
    if (source !== null && !this._disposed) {
      const delay = Math.max(MIN_DELAY_MS, this._delayMs());
      slot.timer = setTimeout(() => {
        slot.timer = null;
        this._fire(cellId, slot);
      }, delay);
    }
    return slot.generation;
  }

  /** The cell's current generation (0 before its first edit). */
  generation(cellId: string): number {
    return this._slots.get(cellId)?.generation ?? 0;
  }

  /** Whether `generation` is still the cell's current text. */
  isCurrent(cellId: string, generation: number): boolean {
    return this._slots.has(cellId) && this.generation(cellId) === generation;
  }

  /** The helper's last answer for this cell (its key, or why it was skipped). */
  lastDecision(cellId: string): IOpResults['prebuild'] | null {
    return this._slots.get(cellId)?.last ?? null;
  }

  /** Whether a request for this cell waits for its reply. */
  isInFlight(cellId: string): boolean {
    return (this._slots.get(cellId)?.inFlight ?? null) !== null;
  }

  /**
   * The helper became ready (the kernel started, restarted or reconnected): send every cell whose current
   * text it refused, so the first edit in a new kernel is built ahead too.
   */
  helperReady(): void {
    for (const [cellId, slot] of this._slots) {
      if (slot.refused && slot.timer === null) {
        slot.refused = false;
        this._fire(cellId, slot);
      }
    }
  }

  /** Drop the cell's pending send, if any (its run builds it anyway). */
  cancel(cellId: string): void {
    const slot = this._slots.get(cellId);
    if (slot) {
      this._clear(slot);
    }
  }

  /** Stop every pending send (the notebook closed, or the setting was turned off). */
  cancelAll(): void {
    for (const slot of this._slots.values()) {
      this._clear(slot);
    }
  }

  dispose(): void {
    this._disposed = true;
    this.cancelAll();
    this._slots.clear();
  }

  private _slot(cellId: string): ICellSlot {
    let slot = this._slots.get(cellId);
    if (!slot) {
      slot = {
        generation: 0,
        source: null,
        timer: null,
        inFlight: null,
        due: false,
        refused: false,
        last: null
      };
      this._slots.set(cellId, slot);
    }
    return slot;
  }

  private _clear(slot: ICellSlot): void {
    if (slot.timer !== null) {
      clearTimeout(slot.timer);
      slot.timer = null;
    }
    slot.due = false;
    slot.refused = false;
  }

  private _fire(cellId: string, slot: ICellSlot): void {
    if (this._disposed || slot.source === null) {
      return;
    }
    if (slot.inFlight !== null) {
      slot.due = true;
      return;
    }
    const generation = slot.generation;
    slot.inFlight = generation;
    const settle = () => {
      slot.inFlight = null;
      if (slot.due && !this._disposed) {
        slot.due = false;
        this._fire(cellId, slot);
      }
    };
    this._send(cellId, generation, slot.source).then(
      result => {
        if (result.generation === slot.generation) {
          slot.last = result;
        }
        settle();
      },
      // The helper could not take it (not ready yet, an older helper, kernel gone): Compile still works,
      // and helperReady() sends the text again.
      () => {
        slot.refused = generation === slot.generation;
        settle();
      }
    );
  }

  private _send: PrebuildSend;
  private _delayMs: () => number;
  private _disposed = false;
  private _slots = new Map<string, ICellSlot>();
}
