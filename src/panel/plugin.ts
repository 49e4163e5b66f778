import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  ICommandPalette,
  InputDialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { pinIcon } from '../icons';
import type { ConnectorRegistry } from '../kernel/registry';
import { insertImportCell } from '../notebookUtils';
import { promptAndPin } from '../renderer/plugin';
import { CommandIDs, IConnectorRegistry, PLUGIN_PREFIX } from '../tokens';
import { PinManagerModel } from './model';
import { IPanelHost, PinManagerPanel } from './view';

export const PANEL_ID = 'jp-CythonPin-pinManager';

export const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: `${PLUGIN_PREFIX}:panel`,
  description: 'Pin manager side panel.',
  autoStart: true,
  requires: [INotebookTracker, IConnectorRegistry],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    registry: ConnectorRegistry,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    const model = new PinManagerModel(registry);
    const host: IPanelHost = {
      confirm: async (title, body, accept) => {
        const r = await showDialog({
          title,
          body,
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: accept })]
        });
        return r.button.accept;
      },
      prompt: async (title, label, value) => {
        const r = await InputDialog.getText({ title, label, text: value });
        return r.button.accept ? (r.value ?? '').trim() || null : null;
      },
      copy: text => Clipboard.copyToSystem(text),
      insertImport: alias => {
        const panel = tracker.currentWidget;
        if (!panel) {
          Notification.error(
            'Cython Pin: open a notebook to insert the import into.',
            {
              autoClose: 5000
            }
          );
          return;
        }
        insertImportCell(panel, alias);
      },
      notify: (kind, message) =>
        Notification.emit(`Cython Pin: ${message}`, kind, {
          autoClose: kind === 'error' ? 8000 : 4000
        })
    };
    const panel = new PinManagerPanel(model, host);
    panel.id = PANEL_ID;
    panel.title.icon = pinIcon;
    panel.title.label = 'Cython Pins';
    panel.title.caption = 'Cython pins and build cache';
    app.shell.add(panel, 'right', { rank: 600 });
    restorer?.add(panel, PANEL_ID);

    const follow = () => {
      const nb = tracker.currentWidget;
      const connector = nb ? registry.get(nb) : undefined;
      model.setTarget(
        nb && connector
          ? { connector, label: nb.title.label || nb.context.path }
          : null
      );
    };
    tracker.currentChanged.connect(follow);
    registry.connectorsChanged.connect(follow);
    follow();

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Open Cython Pin Manager',
      icon: pinIcon,
      execute: () => app.shell.activateById(PANEL_ID)
    });
    app.commands.addCommand(CommandIDs.refreshPanel, {
      label: 'Refresh Cython Pin Manager',
      execute: () => model.refresh()
    });
    app.commands.addCommand(CommandIDs.pinKey, {
      label: 'Pin Cython build key…',
      execute: async args => {
        let key = typeof args.key === 'string' ? args.key : '';
        if (!key) {
          const r = await InputDialog.getText({
            title: 'Pin build',
            label: 'Build key'
          });
          key = r.button.accept ? (r.value ?? '').trim() : '';
        }
        if (key) {
          await promptAndPin(registry, tracker, key, null);
        }
      }
    });
    app.commands.addCommand(CommandIDs.insertImport, {
      label: args =>
        typeof args.alias === 'string'
          ? `Insert import_pinned("${args.alias}")`
          : 'Insert import_pinned(…)',
      execute: async args => {
        let alias = typeof args.alias === 'string' ? args.alias : '';
        if (!alias) {
          const r = await InputDialog.getItem({
            title: 'Insert import',
            label: 'Alias',
            items: model.pins.map(p => p.alias),
            editable: true
          });
          alias = r.button.accept ? (r.value ?? '').trim() : '';
        }
        if (alias) {
          host.insertImport(alias);
        }
      }
    });
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.refreshPanel,
      CommandIDs.pinKey,
      CommandIDs.insertImport
    ]) {
      palette?.addItem({ command, category: 'Cython Pin' });
    }
  }
};
