import { Notification } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { CythonPinError } from '../kernel/client';
import { notificationSink } from '../kernel/notificationSink';
import { noticeWhileQueued } from '../kernel/queueNotice';
import { parseMagicLine } from '../magic/parser';
import type { IConnectorRegistry, ICythonPinSettings } from '../tokens';
import { shortKey } from '../ui/format';
import { latestBuildResult } from './buildState';

/**
 * After a successful build of a `%%cython_pin ALIAS` cell, make sure ALIAS
 * points at the new build (re-pins through the comm if the result lacks it).
 */
export function autoPinFromMagic(
  tracker: INotebookTracker,
  registry: IConnectorRegistry,
  settings: ICythonPinSettings,
  trans: TranslationBundle
): void {
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
    const panel = tracker.find(p => p.content === notebook);
    const connector = panel ? registry.get(panel) : undefined;
    if (!connector?.isReady) {
      return;
    }
    const alias = magic.alias;
    noticeWhileQueued(
      connector,
      connector.request('pin', { key: result.key, alias, overwrite: true }),
      trans.__('Pinning "%1"', alias),
      notificationSink,
      undefined,
      trans
    )
      .then(r =>
        Notification.info(
          trans.__('Cython Pin: pinned %1 as "%2".', shortKey(r.key), r.alias),
          { autoClose: 3000 }
        )
      )
      .catch((e: CythonPinError) =>
        Notification.error(
          trans.__('Cython Pin: could not pin "%1": %2', alias, e.message),
          { autoClose: 8000 }
        )
      );
  });
}
