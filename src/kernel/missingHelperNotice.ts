import { Clipboard, Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import type { IConnectorRegistry } from '../tokens';

/**
 * One warning per kernel when the helper is missing from its environment,
 * with the exact pip command and a button that copies it.
 */
export function noticeMissingHelper(
  registry: IConnectorRegistry,
  trans: TranslationBundle
): void {
  const notified = new Set<string>();
  registry.stateChanged.connect((_, c) => {
    const s = c.state;
    if (s.status !== 'missing-helper' || !s.pipLine) {
      return;
    }
    const key = `${s.kernelId}:${s.pipLine}`;
    if (notified.has(key)) {
      return;
    }
    notified.add(key);
    const pipLine = s.pipLine;
    // Notifications are cut at 140 characters: the pip line comes first.
    Notification.warning(
      trans.__('Cython Pin helper missing in this kernel. Run: %1', pipLine),
      {
        autoClose: false,
        actions: [
          {
            label: trans.__('Copy pip command'),
            caption: pipLine,
            callback: () => Clipboard.copyToSystem(pipLine)
          }
        ]
      }
    );
  });
}
