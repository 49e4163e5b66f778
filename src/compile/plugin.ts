import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import { showDiagnostics } from '../diagnostics/markers';
import { compileIcon } from '../icons';
import { CythonPinError } from '../kernel/client';
import { noticeWhileQueued } from '../kernel/queueNotice';
import { notificationSink } from '../renderer/plugin';
import type { KernelConnector } from '../kernel/connector';
import type { ConnectorRegistry } from '../kernel/registry';
import { CYTHON_MIME, updateMarker } from '../magic/marker';
import { parseMagicLine, withMagicLine } from '../magic/parser';
import { editorViewOf } from '../notebookUtils';
import { SettingsModel } from '../settings';
import {
  CommandIDs,
  IConnectorRegistry,
  ICythonPinSettings,
  PLUGIN_PREFIX
} from '../tokens';
import { BuildStateTracker, latestBuildResult } from './buildState';

/** Why the compile command is unavailable, or null when it can run. */
export function unavailableReason(
  connector: KernelConnector | null | undefined
): string | null {
  if (!connector) {
    return 'Open a notebook first.';
  }
  const s = connector.state;
  switch (s.status) {
    case 'not-python':
    case 'no-kernel':
    case 'missing-helper':
    case 'dead':
      return s.message;
    default:
      return null;
  }
}

export const compilePlugin: JupyterFrontEndPlugin<void> = {
  id: `${PLUGIN_PREFIX}:compile`,
  description:
    'Compile command, magic cells, build state and diagnostics markers.',
  autoStart: true,
  requires: [INotebookTracker, IConnectorRegistry, ICythonPinSettings],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    registry: ConnectorRegistry,
    settings: SettingsModel,
    palette: ICommandPalette | null
  ) => {
    const { commands } = app;
    const connectorOf = (panel: NotebookPanel | null) =>
      panel ? (registry.get(panel) ?? null) : null;
    const activeCodeCell = (): CodeCell | null => {
      const cell = tracker.currentWidget?.content.activeCell ?? null;
      return cell instanceof CodeCell ? cell : null;
    };
    const builds = new BuildStateTracker(tracker);

    commands.addCommand(CommandIDs.compileCell, {
      label: 'Compile Cython cell',
      caption: () => {
        const reason = unavailableReason(connectorOf(tracker.currentWidget));
        return reason ? `Compile unavailable: ${reason}` : 'Compile';
      },
      icon: compileIcon,
      isVisible: () =>
        connectorOf(tracker.currentWidget)?.state.status !== 'not-python',
      isEnabled: () =>
        activeCodeCell() !== null &&
        unavailableReason(connectorOf(tracker.currentWidget)) === null,
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
            Notification.error(`Cython Pin: ${state.message}`, {
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
    palette?.addItem({
      command: CommandIDs.compileCell,
      category: 'Cython Pin'
    });

    // Keyboard shortcut from the settings, re-bound live.
    let binding: IDisposable | null = null;
    const bind = () => {
      binding?.dispose();
      binding = null;
      const keys = settings.config.shortcut;
      if (keys) {
        try {
          binding = commands.addKeyBinding({
            command: CommandIDs.compileCell,
            keys: [keys],
            selector: '.jp-Notebook'
          });
        } catch (e) {
          console.warn(`cython-pin: invalid shortcut "${keys}"`, e);
        }
      }
    };
    bind();
    settings.changed.connect(bind);

    const refreshCommand = () =>
      commands.notifyCommandChanged(CommandIDs.compileCell);
    registry.stateChanged.connect(refreshCommand);
    tracker.currentChanged.connect(refreshCommand);
    tracker.activeCellChanged.connect(refreshCommand);

    // Magic cells: Cython highlighting and the marker.
    const applyMagic = (panel: NotebookPanel, cell: CodeCell) => {
      const magic = parseMagicLine(cell.model.sharedModel.getSource());
      const model = cell.model;
      if (magic && model.mimeType !== CYTHON_MIME) {
        model.mimeType = CYTHON_MIME;
      } else if (!magic && model.mimeType === CYTHON_MIME) {
        model.mimeType = panel.content.codeMimetype;
      }
      void cell.ready.then(() => {
        if (cell.inputArea && !cell.isDisposed) {
          updateMarker(cell.inputArea.node, magic, builds.state(cell).phase);
        }
      });
    };
    const watchedMime = new WeakSet<CodeCell>();
    builds.sourceChanged.connect((_, { panel, cell }) => {
      applyMagic(panel, cell);
      if (!watchedMime.has(cell)) {
        watchedMime.add(cell);
        cell.model.mimeTypeChanged.connect(() => applyMagic(panel, cell));
      }
      // Edits clear the lint markers inside CodeMirror (clearOnEdit).
    });

    // Build state → marker + lint markers.
    builds.stateChanged.connect((_, { cell, state }) => {
      void cell.ready.then(() => {
        if (cell.isDisposed) {
          return;
        }
        const magic = parseMagicLine(cell.model.sharedModel.getSource());
        if (cell.inputArea) {
          updateMarker(cell.inputArea.node, magic, state.phase);
        }
        const view = editorViewOf(cell);
        if (view && state.phase !== 'building') {
          // Never dispatch from inside another editor update.
          setTimeout(() => {
            if (!cell.isDisposed) {
              showDiagnostics(view, state.result?.diagnostics ?? []);
            }
          }, 0);
        }
      });
    });

    // Auto-pin the alias named on the magic line after a successful build.
    NotebookActions.executed.connect((_, { notebook, cell }) => {
      if (!settings.config.autoPinFromMagic || !(cell instanceof CodeCell)) {
        return;
      }
      const magic = parseMagicLine(cell.model.sharedModel.getSource());
      const result = latestBuildResult(cell.model.outputs);
      if (
        !magic?.alias ||
        !result ||
        result.status !== 'ok' ||
        !result.key ||
        result.aliases.includes(magic.alias)
      ) {
        return;
      }
      const panel = tracker.find(p => p.content === notebook) ?? null;
      const connector = connectorOf(panel);
      if (!connector?.isReady) {
        return;
      }
      const alias = magic.alias;
      noticeWhileQueued(
        connector,
        connector.request('pin', { key: result.key, alias, overwrite: true }),
        `Pinning "${alias}"`,
        notificationSink
      )
        .then(r =>
          Notification.info(
            `Cython Pin: pinned ${r.key.slice(0, 12)} as "${r.alias}".`,
            {
              autoClose: 3000
            }
          )
        )
        .catch((e: CythonPinError) =>
          Notification.error(
            `Cython Pin: could not pin "${alias}": ${e.message}`,
            {
              autoClose: 8000
            }
          )
        );
    });
  }
};
