import {
  Clipboard,
  Dialog,
  InputDialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { insertImportCell } from '../notebook/importCell';
import { promptAndPin } from '../pinning/promptAndPin';
import type { IConnectorRegistry } from '../tokens';
import type { IPanelHost } from './host';

/** The panel's dialogs and shell actions, done with JupyterLab's own. */
export function appPanelHost(
  tracker: INotebookTracker,
  registry: IConnectorRegistry,
  trans: TranslationBundle
): IPanelHost {
  return {
    pinKey: (key, options = {}) =>
      promptAndPin(
        registry,
        tracker,
        key,
        null,
        trans,
        options.suggestion ?? '',
        options.team ?? false
      ),
    confirm: async (title, body, accept) => {
      const r = await showDialog({
        title,
        body,
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.warnButton({ label: accept })
        ]
      });
      return r.button.accept;
    },
    prompt: async (title, label, value) => {
      const r = await InputDialog.getText({ title, label, text: value });
      return r.button.accept ? (r.value ?? '').trim() || null : null;
    },
    copy: text => Clipboard.copyToSystem(text),
    insertImport: (alias, team = false) => {
      const panel = tracker.currentWidget;
      if (!panel) {
        Notification.error(
          trans.__('Cython Pin: open a notebook to insert the import into.'),
          { autoClose: 5000 }
        );
        return;
      }
      const at = insertImportCell(panel, alias, team);
      if (at !== null) {
        // A notification is read out by screen readers and tells where the cell went.
        Notification.success(
          trans.__(
            'Cython Pin: inserted the import of "%1" as cell %2 of %3.',
            alias,
            at,
            panel.title.label
          ),
          { autoClose: 4000 }
        );
      }
    },
    notify: (kind, message) =>
      Notification.emit(trans.__('Cython Pin: %1', message), kind, {
        autoClose: kind === 'error' ? 8000 : 4000
      })
  };
}
