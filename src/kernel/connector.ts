import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { TranslationBundle } from '@jupyterlab/translation';
import { IOpArgs, IOpResults, Op, ProtocolEvent } from '../protocol';
import type {
  ConnectionStatus,
  IConnectionState,
  IKernelConnector,
  IPendingRequest
} from '../tokens';
import { NULL_TRANS } from '../translation';
import {
  activationFailure,
  activationRequest,
  interpretActivation
} from './activation';
import { CythonPinError, ProtocolClient } from './client';
import { openHelperClient } from './helperComm';

export interface IConnectorOptions {
  sessionContext: ISessionContext;
  /** Read at each (re)activation. */
  autoLoad: () => boolean;
  /** Cache directory override ('' = the helper's default). */
  cacheDir: () => string;
  /** Run `%%cython` cells through cython_pin (read at each (re)activation). */
  takeOverCython?: () => boolean;
  trans?: TranslationBundle;
}

/**
 * One per notebook: loads the helper silently into the notebook's kernel and
 * keeps one comm open to it, re-initialising after restarts and kernel changes.
 */
export class KernelConnector implements IKernelConnector, IDisposable {
  constructor(options: IConnectorOptions) {
    this.sessionContext = options.sessionContext;
    this._autoLoad = options.autoLoad;
    this._cacheDir = options.cacheDir;
    this._takeOverCython = options.takeOverCython ?? (() => false);
    this._trans = options.trans ?? NULL_TRANS;
    this._state = {
      status: 'no-kernel',
      message: this._trans.__('No kernel is running.'),
      pipLine: null,
      info: null,
      kernelName: null,
      kernelId: null
    };
    const sc = this.sessionContext;
    sc.kernelChanged.connect(this._onKernelChanged, this);
    sc.statusChanged.connect(this._onStatus, this);
    sc.connectionStatusChanged.connect(this._onConnectionStatus, this);
    void sc.ready.then(() => {
      if (!this.isDisposed && this._generation === 0) {
        void this.activate(false);
      }
    });
  }

  readonly sessionContext: ISessionContext;

  get stateChanged(): ISignal<this, IConnectionState> {
    return this._stateChanged;
  }
  get eventReceived(): ISignal<this, ProtocolEvent> {
    return this._eventReceived;
  }
  /** Emitted when requests start/end or the kernel's busy state changes. */
  get queueChanged(): ISignal<this, void> {
    return this._queueChanged;
  }
  get state(): IConnectionState {
    return this._state;
  }
  get isReady(): boolean {
    return this._state.status === 'ready';
  }
  get pending(): IPendingRequest[] {
    return this._client?.pending ?? [];
  }
  /** Requests are waiting while the kernel runs something else. */
  get isQueued(): boolean {
    return (
      this.pending.length > 0 &&
      this.sessionContext.kernelDisplayStatus === 'busy'
    );
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Send one request over the comm. */
  request<K extends Op>(op: K, args: IOpArgs[K]): Promise<IOpResults[K]> {
    if (!this._client || !this.isReady) {
      return Promise.reject(
        new CythonPinError('NotConnected', this._state.message)
      );
    }
    return this._client.request(op, args);
  }

  /**
   * (Re)load the helper and open a new comm.
   * @param force - load even when automatic loading is off.
   */
  async activate(force = true): Promise<IConnectionState> {
    const generation = ++this._generation;
    this._closeClient(
      'CommClosed',
      this._trans.__('The connection to the helper was reset.')
    );
    const kernel = this.sessionContext.session?.kernel ?? null;
    if (!kernel) {
      return this._set(
        generation,
        'no-kernel',
        this._trans.__('No kernel is running.')
      );
    }
    if (!force && !this._autoLoad()) {
      return this._set(
        generation,
        'disabled',
        this._trans.__(
          'Automatic loading is off: use "Load Cython helper into kernel".'
        )
      );
    }
    this._set(
      generation,
      'connecting',
      this._trans.__('Loading the cython_pin helper…')
    );
    try {
      const info = await kernel.info;
      if (generation !== this._generation) {
        return this._state;
      }
      if (info.language_info.name !== 'python') {
        return this._set(
          generation,
          'not-python',
          this._trans.__(
            'Kernel language is %1, not Python.',
            info.language_info.name
          )
        );
      }
      // ask for the takeover when the setting is on; undo it only if this kernel got it from us
      const takeOver = this._takeOverCython();
      const tookOver = this._tookOver.has(kernel.id);
      // a cleared cacheDir setting means the default: undo the override this connector set in this kernel
      const cacheDir = this._cacheDir();
      const future = kernel.requestExecute(
        activationRequest(
          cacheDir,
          takeOver || tookOver ? takeOver : null,
          !cacheDir && this._cacheDirSet.has(kernel.id)
        ),
        true
      );
      const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
      if (generation !== this._generation) {
        return this._state;
      }
      const content = reply.content as KernelMessage.IExecuteReply & {
        user_expressions?: { [key: string]: unknown };
      };
      this._cacheDirSet[cacheDir ? 'add' : 'delete'](kernel.id);
      if (content.status !== 'ok') {
        return this._set(
          generation,
          'error',
          activationFailure(
            content as { status: string; ename?: string; evalue?: string },
            cacheDir,
            this._trans
          )
        );
      }
      const outcome = interpretActivation(
        content.user_expressions,
        this._trans
      );
      if (!outcome.ok) {
        if (outcome.missing) {
          return this._set(
            generation,
            'missing-helper',
            this._trans.__(
              "The cython_pin helper is not installed in this kernel's environment. Run: %1",
              outcome.pipLine
            ),
            outcome.pipLine
          );
        }
        return this._set(generation, 'error', outcome.message);
      }
      this._tookOver[takeOver ? 'add' : 'delete'](kernel.id);
      const client = this._openComm(kernel);
      const hello = await client.request('hello', {});
      if (generation !== this._generation) {
        return this._state;
      }
      return this._set(
        generation,
        'ready',
        this._trans.__(
          'Connected to %1 (%2); cache %3',
          kernel.name,
          hello.python_executable,
          hello.cache_dir
        ),
        null,
        hello
      );
    } catch (e) {
      if (generation !== this._generation) {
        return this._state;
      }
      const message = e instanceof Error ? e.message : String(e);
      return this._set(
        generation,
        'error',
        this._trans.__(
          'Could not connect to the cython_pin helper: %1',
          message
        )
      );
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._generation++;
    this._closeClient('CommClosed', this._trans.__('The notebook was closed.'));
    Signal.clearData(this);
  }

  private _openComm(kernel: Kernel.IKernelConnection): ProtocolClient {
    const { comm, client } = openHelperClient(kernel, this._trans, {
      isBusy: () => this.sessionContext.kernelDisplayStatus === 'busy',
      onClose: (closed, message) => {
        if (this._client === closed) {
          this._client = null;
          this._set(this._generation, 'error', message);
        }
      }
    });
    client.eventReceived.connect((_, ev) => this._eventReceived.emit(ev));
    client.pendingChanged.connect(() => this._queueChanged.emit());
    this._comm = comm;
    this._client = client;
    return client;
  }

  private _closeClient(type: string, message: string): void {
    const client = this._client;
    const comm = this._comm;
    this._client = null;
    this._comm = null;
    client?.close(type, message);
    if (comm && !comm.isDisposed) {
      try {
        comm.dispose();
      } catch {
        // the kernel is gone; nothing to close
      }
    }
  }

  private _onKernelChanged(): void {
    void this.activate(false);
  }

  private _onStatus(_: ISessionContext, status: Kernel.Status): void {
    this._queueChanged.emit();
    if (status === 'restarting' || status === 'autorestarting') {
      this._forgetKernelProcess();
      this._generation++;
      this._closeClient(
        'KernelRestarted',
        this._trans.__('The kernel restarted before the helper answered.')
      );
      this._needsInit = true;
      this._set(
        this._generation,
        'connecting',
        this._trans.__('The kernel is restarting…')
      );
    } else if (status === 'dead') {
      this._forgetKernelProcess();
      this._generation++;
      this._closeClient(
        'KernelDied',
        this._trans.__('The kernel died before the helper answered.')
      );
      this._needsInit = true;
      this._set(
        this._generation,
        'dead',
        this._trans.__('The kernel is dead.')
      );
    } else if (status === 'idle' && this._needsInit) {
      this._needsInit = false;
      void this.activate(false);
    }
  }

  /** A new kernel process starts with its own environment: no cache override of ours is left in it. */
  private _forgetKernelProcess(): void {
    const id = this.sessionContext.session?.kernel?.id;
    if (id) {
      this._cacheDirSet.delete(id);
    }
  }

  private _onConnectionStatus(
    _: ISessionContext,
    status: Kernel.ConnectionStatus
  ): void {
    if (status === 'disconnected' && this._client) {
      // Replies sent while the websocket is down are lost: fail fast, then
      // reload once the connection is back.
      this._generation++;
      this._closeClient(
        'ConnectionLost',
        this._trans.__('The connection to the kernel was lost.')
      );
      this._set(
        this._generation,
        'connecting',
        this._trans.__('Reconnecting to the kernel…')
      );
      this._needsInit = true;
    } else if (status === 'connected' && this._needsInit) {
      this._needsInit = false;
      void this.activate(false);
    }
  }

  private _set(
    generation: number,
    status: ConnectionStatus,
    message: string,
    pipLine: string | null = null,
    info: IOpResults['hello'] | null = null
  ): IConnectionState {
    if (generation !== this._generation || this._disposed) {
      return this._state;
    }
    const kernel = this.sessionContext.session?.kernel ?? null;
    this._state = {
      status,
      message,
      pipLine,
      info,
      kernelName: kernel?.name ?? null,
      kernelId: kernel?.id ?? null
    };
    this._stateChanged.emit(this._state);
    return this._state;
  }

  private _autoLoad: () => boolean;
  private _cacheDir: () => string;
  private _takeOverCython: () => boolean;
  /** Kernels (by id) in which this connector switched the `%%cython` takeover on. */
  private _tookOver = new Set<string>();
  /** Kernels (by id) whose current process has the CYTHON_PIN_CACHE_DIR this connector set. */
  private _cacheDirSet = new Set<string>();
  private _generation = 0;
  private _needsInit = false;
  private _disposed = false;
  private _client: ProtocolClient | null = null;
  private _comm: Kernel.IComm | null = null;
  private _trans: TranslationBundle;
  private _state: IConnectionState;
  private _stateChanged = new Signal<this, IConnectionState>(this);
  private _eventReceived = new Signal<this, ProtocolEvent>(this);
  private _queueChanged = new Signal<this, void>(this);
}
