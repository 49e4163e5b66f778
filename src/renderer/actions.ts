import { Clipboard, Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { cellFor, notebookFor, revealInCell } from '../notebook/cells';
import { promptAndPin } from '../pinning/promptAndPin';
import type { IConnectorRegistry, ICythonPinSettings } from '../tokens';
import type { IBuildResultActions } from './view';

/** What the result view's buttons do in the app. */
export function appResultActions(
  registry: IConnectorRegistry,
  tracker: INotebookTracker,
  settings: ICythonPinSettings,
  trans: TranslationBundle
): IBuildResultActions {
  return {
    copyKey: key => {
      Clipboard.copyToSystem(key);
      Notification.info(trans.__('Cython Pin: key copied to the clipboard.'), {
        autoClose: 2000
      });
    },
    pinAs: (result, host) =>
      result.key
        ? promptAndPin(registry, tracker, result.key, host, trans)
        : Promise.resolve(null),
    gotoDiagnostic: (d, host) => {
      const panel = notebookFor(tracker, host);
      const cell = panel ? cellFor(panel, host) : null;
      if (panel && cell) {
        revealInCell(panel, cell, d.line, d.column);
      }
    },
    showAnnotation: () => settings.config.showAnnotation
  };
}
