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
 * `team`: a team pin in the team cache (same questions on a collision).
 */
export async function promptAndPin(
  registry: IConnectorRegistry,
  tracker: INotebookTracker,
  key: string,
  host: HTMLElement | null,
  trans: TranslationBundle,
  suggestion = '',
  team = false
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
    title: team ? trans.__('Pin to team cache as') : trans.__('Pin build as'),
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
      connector.request('pin', { key, alias, overwrite: false, team }),
      trans.__('Pinning "%1"', alias),
      notificationSink,
      undefined,
      trans
    );
  } catch (e) {
    const err = e as CythonPinError;
    const ask = collisionQuestion(err, alias, trans);
    if (!ask) {
      // An invalid alias, a broken pins registry, a lost kernel: say what it is.
      Notification.error(trans.__('Cython Pin: %1', err.message), {
        autoClose: 8000
      });
      return null;
    }
    const replace = await showDialog({
      title: ask.title,
      body: ask.body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: ask.accept })
      ]
    });
    if (!replace.button.accept) {
      return null;
    }
    try {
      await connector.request('pin', { key, alias, overwrite: true, team });
    } catch (e2) {
      Notification.error(trans.__('Cython Pin: %1', (e2 as Error).message), {
        autoClose: 8000
      });
      return null;
    }
  }
  Notification.success(
    team
      ? trans.__(
          'Cython Pin: pinned %1 as team pin "%2".',
          shortKey(key),
          alias
        )
      : trans.__('Cython Pin: pinned %1 as "%2".', shortKey(key), alias),
    { autoClose: 4000 }
  );
  return alias;
}

/** The question to ask for a pin collision (by the error's type, never its text); null for other errors. */
export function collisionQuestion(
  err: { type?: string },
  alias: string,
  trans: TranslationBundle
): { title: string; body: string; accept: string } | null {
  switch (err.type) {
    case 'AliasCollisionError':
      return {
        title: trans.__('Alias in use'),
        body: trans.__(
          '"%1" already names another build. Replace it with this one?',
          alias
        ),
        accept: trans.__('Replace')
      };
    case 'KeyCollisionError':
      return {
        title: trans.__('Already pinned'),
        body: trans.__(
          'This build already has an alias. Add "%1" as a second alias?',
          alias
        ),
        accept: trans.__('Add alias')
      };
    default:
      return null;
  }
}
