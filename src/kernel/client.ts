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
    /** Python exception class name, or `KernelDied`, `CommClosed`, `ProtocolError`. */
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
    private readonly _trans: TranslationBundle = NULL_TRANS
  ) {
    this._send = send;
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
        reject
      });
    });
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

  private _settle(id: string, value: unknown, error?: CythonPinError): void {
    const entry = this._pending.get(id);
    if (!entry) {
      return;
    }
    this._pending.delete(id);
    if (error) {
      entry.reject(error);
    } else {
      entry.resolve(value);
    }
    this._pendingChanged.emit(this.pending);
  }

  private _send: SendFn;
  private _counter = 0;
  private _closed: CythonPinError | null = null;
  private _pending = new Map<string, IPendingEntry>();
  private _eventReceived = new Signal<this, ProtocolEvent>(this);
  private _pendingChanged = new Signal<this, IPendingRequest[]>(this);
}
