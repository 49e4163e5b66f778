import { Cell, CodeCell } from '@jupyterlab/cells';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import type { IOutputAreaModel } from '@jupyterlab/outputarea';
import { ISignal, Signal } from '@lumino/signaling';
import { parseMagicLine } from '../magic/parser';
import { BUILD_MIME_TYPE, decodeBuildResult, IBuildResult } from '../protocol';
import type {
  BuildPhase,
  IBuildStateTracker,
  ICellBuildState,
  ICellEvent,
  ICellStateEvent
} from '../tokens';

export type {
  BuildPhase,
  ICellBuildState,
  ICellEvent,
  ICellStateEvent
} from '../tokens';

/** Last build result among a cell's outputs (null when none). */
export function latestBuildResult(
  outputs: IOutputAreaModel
): IBuildResult | null {
  for (let i = outputs.length - 1; i >= 0; i--) {
    const data = outputs.get(i).data[BUILD_MIME_TYPE];
    if (data !== undefined) {
      const decoded = decodeBuildResult(data);
      if (decoded.ok) {
        return decoded.value;
      }
    }
  }
  return null;
}

export function phaseOf(result: IBuildResult | null): BuildPhase {
  return result ? result.status : 'none';
}

/**
 * Watches every code cell of every notebook: its build state (from its
 * outputs and execution) and its source edits.
 */
export class BuildStateTracker implements IBuildStateTracker {
  constructor(tracker: INotebookTracker) {
    tracker.widgetAdded.connect((_, panel) => this._watch(panel));
    tracker.forEach(panel => this._watch(panel));
    NotebookActions.executionScheduled.connect((_, { notebook, cell }) => {
      if (
        cell instanceof CodeCell &&
        parseMagicLine(cell.model.sharedModel.getSource())
      ) {
        this.setBuilding(cell, true);
      }
    });
    NotebookActions.executed.connect((_, { cell }) => {
      if (cell instanceof CodeCell && this._building.has(cell)) {
        this.setBuilding(cell, false);
      }
    });
  }

  /** A cell's build state changed (result arrived, cleared, building). */
  get stateChanged(): ISignal<this, ICellStateEvent> {
    return this._stateChanged;
  }
  /** A cell's source changed (also emitted once when a cell is first seen). */
  get sourceChanged(): ISignal<this, ICellEvent> {
    return this._sourceChanged;
  }

  state(cell: CodeCell): ICellBuildState {
    const result = latestBuildResult(cell.model.outputs);
    return {
      phase: this._building.has(cell)
        ? 'building'
        : this._ahead.has(cell)
          ? 'ahead'
          : phaseOf(result),
      result
    };
  }

  setBuiltAhead(cell: CodeCell): void {
    if (this._ahead.has(cell) || this._building.has(cell)) {
      return;
    }
    this._ahead.add(cell);
    this._emitState(cell);
  }

  setBuilding(cell: CodeCell, building: boolean): void {
    if (this._building.has(cell) === building) {
      return; // unchanged: markers and lint are not redrawn for nothing
    }
    if (building) {
      this._ahead.delete(cell); // the run's result says what it is now
      this._building.add(cell);
      cell.addClass('jp-CythonPin-building');
    } else {
      this._building.delete(cell);
      cell.removeClass('jp-CythonPin-building');
    }
    this._emitState(cell);
  }

  private _watch(panel: NotebookPanel): void {
    const scan = () => {
      if (panel.isDisposed) {
        return;
      }
      for (const cell of panel.content.widgets) {
        this._watchCell(panel, cell);
      }
    };
    const schedule = () => setTimeout(scan, 0);
    panel.context.ready.then(() => {
      scan();
      panel.content.model?.cells.changed.connect(schedule);
    });
    panel.content.modelChanged.connect(() => {
      schedule();
      panel.content.model?.cells.changed.connect(schedule);
    });
  }

  private _watchCell(panel: NotebookPanel, cell: Cell): void {
    if (!(cell instanceof CodeCell) || this._seen.has(cell)) {
      return;
    }
    this._seen.add(cell);
    this._panels.set(cell, panel);
    // A disposed cell's model has no outputs (its type was changed, or it was deleted): hold on to the
    // signals' owners to disconnect, and ignore changes that arrive while the cell is torn down.
    const outputs = cell.model.outputs;
    const shared = cell.model.sharedModel;
    const onOutputs = () => {
      if (!cell.isDisposed && cell.model) {
        this._emitState(cell);
      }
    };
    const onSource = (_: unknown, change: { sourceChange?: unknown }) => {
      if (change.sourceChange && !cell.isDisposed) {
        // Edited text is not what was built ahead; listeners of sourceChanged redraw the marker.
        this._ahead.delete(cell);
        this._sourceChanged.emit({ panel, cell });
      }
    };
    outputs.changed.connect(onOutputs);
    shared.changed.connect(onSource);
    cell.disposed.connect(() => {
      outputs.changed.disconnect(onOutputs);
      shared.changed.disconnect(onSource);
      this._building.delete(cell);
    });
    this._sourceChanged.emit({ panel, cell });
    this._emitState(cell);
  }

  private _emitState(cell: CodeCell): void {
    const panel = this._panels.get(cell);
    if (panel && !cell.isDisposed) {
      this._stateChanged.emit({ panel, cell, state: this.state(cell) });
    }
  }

  private _seen = new WeakSet<CodeCell>();
  private _panels = new WeakMap<CodeCell, NotebookPanel>();
  private _building = new Set<CodeCell>();
  private _ahead = new WeakSet<CodeCell>();
  private _stateChanged = new Signal<this, ICellStateEvent>(this);
  private _sourceChanged = new Signal<this, ICellEvent>(this);
}
