import {
  Dialog,
  InputDialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { CythonPinError } from '../kernel/client';
import { notificationSink } from '../kernel/notificationSink';
import { noticeWhileQueued } from '../kernel/queueNotice';
import { notebookFor } from '../notebook/cells';
import type { IConnectorRegistry } from '../tokens';
import { shortKey } from '../ui/format';

/**
 * Ask for an alias and pin `key` through the kernel of the notebook holding
 * `host` (else the current one); offers to replace an alias that points
 * elsewhere. Resolves with the alias, or null when cancelled or failed.
 */
export async function promptAndPin(
  registry: IConnectorRegistry,
  tracker: INotebookTracker,
  key: string,
  host: HTMLElement | null,
  trans: TranslationBundle,
  suggestion = ''
): Promise<string | null> {
  const panel = notebookFor(tracker, host);
  const connector = panel ? registry.get(panel) : undefined;
  if (!connector || !connector.isReady) {
    Notification.error(
      trans.__(
        'Cython Pin: cannot pin: %1',
        connector?.state.message ?? trans.__('no notebook kernel is connected.')
      ),
      { autoClose: 8000 }
    );
    return null;
  }
  const answer = await InputDialog.getText({
    title: trans.__('Pin build as'),
    label: trans.__('Alias for %1', shortKey(key)),
    placeholder: 'my_module',
    text: suggestion,
    okLabel: trans.__('Pin')
  });
  const alias = answer.button.accept ? (answer.value ?? '').trim() : '';
  if (!alias) {
    return null;
  }
  try {
    await noticeWhileQueued(
      connector,
      connector.request('pin', { key, alias, overwrite: false }),
      trans.__('Pinning "%1"', alias),
      notificationSink,
      undefined,
      trans
    );
  } catch (e) {
    const err = e as CythonPinError;
    if (err.type !== 'ValueError' && err.type !== 'PinRegistryError') {
      Notification.error(trans.__('Cython Pin: %1', err.message), {
        autoClose: 8000
      });
      return null;
    }
    // Alias points elsewhere, or this key already has another alias.
    const replace = await showDialog({
      title: trans.__('Already pinned'),
      body: err.message,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Pin anyway') })
      ]
    });
    if (!replace.button.accept) {
      return null;
    }
    try {
      await connector.request('pin', { key, alias, overwrite: true });
    } catch (e2) {
      Notification.error(trans.__('Cython Pin: %1', (e2 as Error).message), {
        autoClose: 8000
      });
      return null;
    }
  }
  Notification.success(
    trans.__('Cython Pin: pinned %1 as "%2".', shortKey(key), alias),
    { autoClose: 4000 }
  );
  return alias;
}
