import type { ISessionContext } from '@jupyterlab/apputils';
import type { CodeCell } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import type {
  IBuildResult,
  IOpArgs,
  IOpResults,
  Op,
  ProtocolEvent
} from './protocol';
import type { ICythonPinConfig } from './settings';

/** Every command id of the extension. */
export namespace CommandIDs {
  export const compileCell = 'cython-pin:compile-cell';
  export const loadHelper = 'cython-pin:load-helper';
  export const openPanel = 'cython-pin:open-pin-manager';
  export const refreshPanel = 'cython-pin:refresh-pin-manager';
  export const pinKey = 'cython-pin:pin-key';
  export const insertImport = 'cython-pin:insert-import';
  export const showLineC = 'cython-pin:show-line-c';
}

export const PLUGIN_PREFIX = 'jupyterlab-cython-pin';
export const SETTINGS_PLUGIN_ID = `${PLUGIN_PREFIX}:plugin`;
/** Translation domain of the extension's strings. */
export const TRANSLATION_DOMAIN = 'jupyterlab_cython_pin';

/** Where the connection to one notebook's kernel stands. */
export type ConnectionStatus =
  | 'no-kernel'
  | 'not-python'
  | 'disabled'
  | 'connecting'
  | 'ready'
  | 'missing-helper'
  | 'error'
  | 'dead';

export interface IConnectionState {
  status: ConnectionStatus;
  /** Sentence for tooltips and the panel header. */
  message: string;
  /** For `missing-helper`: the exact pip line for that kernel's Python. */
  pipLine: string | null;
  /** Result of `hello` once ready. */
  info: IOpResults['hello'] | null;
  kernelName: string | null;
  kernelId: string | null;
}

/** What a pending request looks like to the UI. */
export interface IPendingRequest {
  id: string;
  op: Op;
  started: number;
}

/** The connection to the cython_pin helper in one notebook's kernel. */
export interface IKernelConnector {
  readonly sessionContext: ISessionContext;
  readonly state: IConnectionState;
  readonly isReady: boolean;
  /** Requests are waiting while the kernel runs something else. */
  readonly isQueued: boolean;
  readonly pending: IPendingRequest[];
  readonly isDisposed: boolean;
  readonly stateChanged: ISignal<IKernelConnector, IConnectionState>;
  readonly eventReceived: ISignal<IKernelConnector, ProtocolEvent>;
  /** Emitted when requests start/end or the kernel's busy state changes. */
  readonly queueChanged: ISignal<IKernelConnector, void>;
  /** Send one request over the comm. */
  request<K extends Op>(op: K, args: IOpArgs[K]): Promise<IOpResults[K]>;
  /**
   * (Re)load the helper and open a new comm.
   * @param force - load even when automatic loading is off.
   */
  activate(force?: boolean): Promise<IConnectionState>;
  dispose(): void;
}

export interface IConnectorEvent {
  connector: IKernelConnector;
  event: ProtocolEvent;
}

/** All live connectors, keyed by their owner (a notebook panel). */
export interface IConnectorRegistry {
  readonly connectors: IKernelConnector[];
  readonly connectorsChanged: ISignal<IConnectorRegistry, void>;
  readonly stateChanged: ISignal<IConnectorRegistry, IKernelConnector>;
  /** Helper events of every connector, so every panel can follow any change. */
  readonly eventReceived: ISignal<IConnectorRegistry, IConnectorEvent>;
  readonly queueChanged: ISignal<IConnectorRegistry, IKernelConnector>;
  get(owner: object): IKernelConnector | undefined;
  /** Create (once) the connector for an owner; disposed with `remove`. */
  add(owner: object, sessionContext: ISessionContext): IKernelConnector;
  remove(owner: object): void;
  /** Re-activate every connector (e.g. after the cache setting changed). */
  reactivateAll(): void;
}

/** Live, typed settings. */
export interface ICythonPinSettings {
  readonly config: ICythonPinConfig;
  readonly changed: ISignal<ICythonPinSettings, ICythonPinConfig>;
}

/**
 * Where a code cell's build stands. `ahead`: its current text was built
 * ahead (or is already in the cache), so running it is a cache hit.
 */
export type BuildPhase = 'none' | 'building' | 'ahead' | 'ok' | 'error';

export interface ICellBuildState {
  phase: BuildPhase;
  result: IBuildResult | null;
}

export interface ICellEvent {
  panel: NotebookPanel;
  cell: CodeCell;
}

export interface ICellStateEvent extends ICellEvent {
  state: ICellBuildState;
}

/** Each code cell's build state and source edits, in every notebook. */
export interface IBuildStateTracker {
  /** A cell's build state changed (result arrived, cleared, building). */
  readonly stateChanged: ISignal<IBuildStateTracker, ICellStateEvent>;
  /** A cell's source changed (also emitted once when a cell is first seen). */
  readonly sourceChanged: ISignal<IBuildStateTracker, ICellEvent>;
  state(cell: CodeCell): ICellBuildState;
  /**
   * The cell's current text is in the cache (a build ahead finished, or it
   * was there already): its phase is `ahead` until the next edit or run.
   */
  setBuiltAhead(cell: CodeCell): void;
}

/** Per-notebook kernel connectors, shared by every feature plugin. */
export const IConnectorRegistry = new Token<IConnectorRegistry>(
  `${PLUGIN_PREFIX}:IConnectorRegistry`,
  'Connections to the cython_pin helper in each notebook kernel.'
);

/** The build state of every code cell (provided by the compile plugin). */
export const IBuildStateTracker = new Token<IBuildStateTracker>(
  `${PLUGIN_PREFIX}:IBuildStateTracker`,
  'The last build result, building flag and source edits of each code cell.'
);

/** Live, typed settings. */
export const ICythonPinSettings = new Token<ICythonPinSettings>(
  `${PLUGIN_PREFIX}:ICythonPinSettings`,
  'Typed settings of jupyterlab-cython-pin.'
);
