import { ISessionContext } from '@jupyterlab/apputils';
import { ISignal, Signal } from '@lumino/signaling';
import type {
  IConnectorEvent,
  IConnectorRegistry,
  IKernelConnector
} from '../tokens';

/**
 * All live connectors, keyed by the owner (a notebook panel). Re-emits helper
 * events so every panel can refresh when any notebook changes pins.
 */
export class ConnectorRegistry implements IConnectorRegistry {
  constructor(
    private readonly _factory: (sc: ISessionContext) => IKernelConnector
  ) {}

  get connectorsChanged(): ISignal<this, void> {
    return this._connectorsChanged;
  }
  get stateChanged(): ISignal<this, IKernelConnector> {
    return this._stateChanged;
  }
  get eventReceived(): ISignal<this, IConnectorEvent> {
    return this._eventReceived;
  }
  get queueChanged(): ISignal<this, IKernelConnector> {
    return this._queueChanged;
  }

  get connectors(): IKernelConnector[] {
    return [...this._byOwner.values()];
  }

  get(owner: object): IKernelConnector | undefined {
    return this._byOwner.get(owner);
  }

  /** Create (once) the connector for an owner; disposed with `remove`. */
  add(owner: object, sessionContext: ISessionContext): IKernelConnector {
    const existing = this._byOwner.get(owner);
    if (existing) {
      return existing;
    }
    const c = this._factory(sessionContext);
    this._byOwner.set(owner, c);
    c.stateChanged.connect(() => this._stateChanged.emit(c));
    c.queueChanged.connect(() => this._queueChanged.emit(c));
    c.eventReceived.connect((_, event) =>
      this._eventReceived.emit({ connector: c, event })
    );
    this._connectorsChanged.emit();
    return c;
  }

  remove(owner: object): void {
    const c = this._byOwner.get(owner);
    if (c) {
      this._byOwner.delete(owner);
      c.dispose();
      this._connectorsChanged.emit();
    }
  }

  /** Re-activate every connector (e.g. after the cache setting changed). */
  reactivateAll(): void {
    for (const c of this.connectors) {
      if (c.state.status !== 'not-python' && c.state.status !== 'no-kernel') {
        void c.activate(false);
      }
    }
  }

  private _byOwner = new Map<object, IKernelConnector>();
  private _connectorsChanged = new Signal<this, void>(this);
  private _stateChanged = new Signal<this, IKernelConnector>(this);
  private _eventReceived = new Signal<this, IConnectorEvent>(this);
  private _queueChanged = new Signal<this, IKernelConnector>(this);
}
