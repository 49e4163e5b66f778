import { Notification } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { compileIcon } from '../icons';
import { hasCodeToCompile, withMagicLine } from '../magic/parser';
import {
  CommandIDs,
  IConnectorRegistry,
  ICythonPinSettings,
  IKernelConnector
} from '../tokens';
import { unavailableReason } from './availability';
import { wasCancelled } from './cancelled';

export interface ICompileCommandOptions {
  commands: CommandRegistry;
  tracker: INotebookTracker;
  registry: IConnectorRegistry;
  settings: ICythonPinSettings;
  trans: TranslationBundle;
}

/**
 * "Compile Cython cell": run the active cell as a `%%cython_pin` cell through
 * the notebook's normal execute path (adding the magic line if missing).
 */
export function addCompileCommand(options: ICompileCommandOptions): void {
  const { commands, tracker, registry, settings, trans } = options;
  const connectorOf = (panel: NotebookPanel | null): IKernelConnector | null =>
    panel ? (registry.get(panel) ?? null) : null;
  const activeCodeCell = (): CodeCell | null => {
    const cell = tracker.currentWidget?.content.activeCell ?? null;
    return cell instanceof CodeCell ? cell : null;
  };

  commands.addCommand(CommandIDs.compileCell, {
    label: trans.__('Compile Cython cell'),
    caption: () => {
      const reason = unavailableReason(
        connectorOf(tracker.currentWidget),
        trans
      );
      return reason
        ? trans.__('Compile unavailable: %1', reason)
        : trans.__('Compile');
    },
    icon: compileIcon,
    // Only code cells can be compiled: hidden (not greyed) on markdown and raw cells.
    isVisible: () =>
      activeCodeCell() !== null &&
      connectorOf(tracker.currentWidget)?.state.status !== 'not-python',
    isEnabled: () =>
      activeCodeCell() !== null &&
      unavailableReason(connectorOf(tracker.currentWidget), trans) === null,
    execute: async () => {
      const panel = tracker.currentWidget;
      const cell = activeCodeCell();
      if (!panel || !cell) {
        return;
      }
      // Helper not loaded yet (auto-load off, or an earlier error): load it
      // first; its silent execute runs before this cell in the kernel queue.
      const connector = connectorOf(panel);
      if (
        connector &&
        (connector.state.status === 'disabled' ||
          connector.state.status === 'error')
      ) {
        const state = await connector.activate(true);
        if (state.status !== 'ready') {
          Notification.error(trans.__('Cython Pin: %1', state.message), {
            autoClose: 8000
          });
          return;
        }
      }
      const source = cell.model.sharedModel.getSource();
      if (!hasCodeToCompile(source)) {
        Notification.info(
          trans.__('Cython Pin: nothing to compile: the cell is empty.'),
          { autoClose: 4000 }
        );
        return;
      }
      const next = withMagicLine(source, settings.config.defaultProfile);
      if (next !== source) {
        cell.model.sharedModel.setSource(next);
      }
      panel.content.deselectAll();
      // The run clears the outputs when it is scheduled; if the kernel then aborts it (interrupted while
      // queued), the previous result comes back and the user is told.
      const previous = cell.model.outputs.toJSON();
      const previousCount = cell.model.executionCount;
      let cancelled = false;
      const onExecuted = (
        _: unknown,
        args: { cell: unknown; success: boolean; error?: unknown }
      ) => {
        if (args.cell === cell) {
          cancelled = wasCancelled(args.success, args.error);
        }
      };
      NotebookActions.executed.connect(onExecuted);
      try {
        // The build state follows from the run (BuildStateTracker sees the magic cell scheduled and
        // executed): set once, not again here.
        await NotebookActions.run(panel.content, panel.sessionContext);
      } finally {
        NotebookActions.executed.disconnect(onExecuted);
      }
      if (cancelled && !cell.isDisposed) {
        cell.model.outputs.fromJSON(previous);
        cell.model.executionCount = previousCount;
        Notification.info(
          trans.__(
            'Cython Pin: Compile cancelled before it ran; the previous result is kept.'
          ),
          { autoClose: 5000 }
        );
      }
    }
  });

  const refresh = () => commands.notifyCommandChanged(CommandIDs.compileCell);
  registry.stateChanged.connect(refresh);
  tracker.currentChanged.connect(refresh);
  tracker.activeCellChanged.connect(refresh);
}
