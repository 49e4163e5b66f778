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
import { withMagicLine } from '../magic/parser';
import {
  CommandIDs,
  IConnectorRegistry,
  ICythonPinSettings,
  IKernelConnector
} from '../tokens';
import { unavailableReason } from './availability';
import type { BuildStateTracker } from './buildState';

export interface ICompileCommandOptions {
  commands: CommandRegistry;
  tracker: INotebookTracker;
  registry: IConnectorRegistry;
  settings: ICythonPinSettings;
  builds: BuildStateTracker;
  trans: TranslationBundle;
}

/**
 * "Compile Cython cell": run the active cell as a `%%cython_pin` cell through
 * the notebook's normal execute path (adding the magic line if missing).
 */
export function addCompileCommand(options: ICompileCommandOptions): void {
  const { commands, tracker, registry, settings, builds, trans } = options;
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
    isVisible: () =>
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
      const next = withMagicLine(source, settings.config.defaultProfile);
      if (next !== source) {
        cell.model.sharedModel.setSource(next);
      }
      panel.content.deselectAll();
      builds.setBuilding(cell, true);
      try {
        await NotebookActions.run(panel.content, panel.sessionContext);
      } finally {
        builds.setBuilding(cell, false);
      }
    }
  });

  const refresh = () => commands.notifyCommandChanged(CommandIDs.compileCell);
  registry.stateChanged.connect(refresh);
  tracker.currentChanged.connect(refresh);
  tracker.activeCellChanged.connect(refresh);
}
