import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import {
  decodeIncoming,
  decodeResult,
  IOpArgs,
  IOpResults,
  Op,
  ProtocolEvent
} from '../protocol';
import type { IPendingRequest } from '../tokens';
import { NULL_TRANS } from '../translation';

/** An error reply from the helper, or a request that could not complete. */
export class CythonPinError extends Error {
  constructor(
    /**
     * Python exception class name (`Interrupted`: the kernel was interrupted during the op), or
     * `KernelDied`, `CommClosed`, `ProtocolError`, `Timeout`.
     */
    readonly type: string,
    message: string
  ) {
    super(message);
    this.name = 'CythonPinError';
  }
}

interface IPendingEntry extends IPendingRequest {
  resolve: (value: unknown) => void;
  reject: (reason: CythonPinError) => void;
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * How long the helper may stay silent on a request of each op while the kernel is idle, in ms: a reply
 * can be lost (an interrupt before the helper could answer, a helper from before the Interrupted reply), and
 * a request must end. Ops that walk or change the whole cache, or reach the team cache, get longer.
 */
export const REQUEST_TIMEOUT_MS: { [K in Op]: number } = {
  hello: 30_000,
  list_pins: 30_000,
  pin: 60_000,
  unpin: 60_000,
  rename_pin: 60_000,
  list_cached: 60_000,
  cache_stats: 60_000,
  catalogue: 60_000,
  prebuild: 30_000,
  gc_cache: 300_000,
  import_pinned: 300_000,
  team_catalogue: 120_000
};

export interface IClientOptions {
  /** Per-op timeout in ms (default REQUEST_TIMEOUT_MS). */
  timeoutMs?: (op: Op) => number;
  /**
   * The kernel is busy: a request then waits behind a running cell (or is the op running), so its timeout
   * starts over instead of ending it.
   */
  isBusy?: () => boolean;
}

/** Sends one comm message `data`. */
export type SendFn = (data: { [key: string]: unknown }) => void;

/**
 * Request/response client over any message transport (a kernel comm in the
 * app, a fake in tests). Owns the pending map; rejects everything on close.
 */
export class ProtocolClient {
  constructor(
    send: SendFn,
    private readonly _trans: TranslationBundle = NULL_TRANS,
    options: IClientOptions = {}
  ) {
    this._send = send;
    this._timeoutMs = options.timeoutMs ?? (op => REQUEST_TIMEOUT_MS[op]);
    this._isBusy = options.isBusy ?? (() => false);
  }

  /** Events pushed by the helper (pins_changed, cache_changed). */
  get eventReceived(): ISignal<this, ProtocolEvent> {
    return this._eventReceived;
  }

  /** Emitted whenever a request starts or ends. */
  get pendingChanged(): ISignal<this, IPendingRequest[]> {
    return this._pendingChanged;
  }

  get pending(): IPendingRequest[] {
    return [...this._pending.values()].map(({ id, op, started }) => ({
      id,
      op,
      started
    }));
  }

  get isClosed(): boolean {
    return this._closed !== null;
  }

  request<K extends Op>(op: K, args: IOpArgs[K]): Promise<IOpResults[K]> {
    if (this._closed) {
      return Promise.reject(this._closed);
    }
    const id = `${Date.now().toString(36)}-${++this._counter}`;
    const promise = new Promise<IOpResults[K]>((resolve, reject) => {
      this._pending.set(id, {
        id,
        op,
        started: Date.now(),
        resolve: resolve as (value: unknown) => void,
        reject,
        timer: null
      });
    });
    this._armTimeout(id);
    try {
      this._send({ type: 'request', id, op, args });
    } catch (e) {
      this._settle(id, undefined, new CythonPinError('CommClosed', String(e)));
    }
    this._pendingChanged.emit(this.pending);
    return promise;
  }

  /** Feed one incoming comm message `data`. */
  handleMessage(data: unknown): void {
    const decoded = decodeIncoming(data);
    if (!decoded.ok) {
      console.warn('cython-pin: ignoring malformed message', decoded.error);
      return;
    }
    const msg = decoded.value;
    if (msg.type === 'event') {
      this._eventReceived.emit(msg);
      return;
    }
    const entry = this._pending.get(msg.id);
    if (!entry) {
      return;
    }
    if (!msg.ok) {
      this._settle(
        msg.id,
        undefined,
        new CythonPinError(msg.error.type, msg.error.message)
      );
      return;
    }
    const result = decodeResult(entry.op, msg.result);
    if (result.ok) {
      this._settle(msg.id, result.value);
    } else {
      this._settle(
        msg.id,
        undefined,
        new CythonPinError(
          'ProtocolError',
          this._trans.__(
            'Malformed %1 reply from the helper (%2)',
            entry.op,
            result.error
          )
        )
      );
    }
  }

  /** Reject every pending request and refuse new ones. */
  close(type: string, message: string): void {
    if (this._closed) {
      return;
    }
    this._closed = new CythonPinError(type, message);
    for (const id of [...this._pending.keys()]) {
      this._settle(id, undefined, this._closed);
    }
  }

  /** End request `id` with a Timeout error if no reply comes while the kernel is idle. */
  private _armTimeout(id: string): void {
    const entry = this._pending.get(id);
    if (!entry) {
      return;
    }
    const ms = this._timeoutMs(entry.op);
    entry.timer = setTimeout(() => {
      if (!this._pending.has(id)) {
        return;
      }
      if (this._isBusy()) {
        this._armTimeout(id);
        return;
      }
      this._settle(
        id,
        undefined,
        new CythonPinError(
          'Timeout',
          this._trans.__(
            'The helper did not answer the %1 request within %2 s (the kernel may have been interrupted). Try again.',
            entry.op,
            Math.round(ms / 1000)
          )
        )
      );
    }, ms);
  }

  private _settle(id: string, value: unknown, error?: CythonPinError): void {
    const entry = this._pending.get(id);
    if (!entry) {
      return;
    }
    this._pending.delete(id);
    if (entry.timer !== null) {
      clearTimeout(entry.timer);
    }
    if (error) {
      entry.reject(error);
    } else {
      entry.resolve(value);
    }
    this._pendingChanged.emit(this.pending);
  }

  private _send: SendFn;
  private _timeoutMs: (op: Op) => number;
  private _isBusy: () => boolean;
  private _counter = 0;
  private _closed: CythonPinError | null = null;
  private _pending = new Map<string, IPendingEntry>();
  private _eventReceived = new Signal<this, ProtocolEvent>(this);
  private _pendingChanged = new Signal<this, IPendingRequest[]>(this);
}
