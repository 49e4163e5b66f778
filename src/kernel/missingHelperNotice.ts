import { Clipboard, Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import type { IConnectorRegistry } from '../tokens';

/** The notification calls the notice needs (JupyterLab's Notification in the app). */
export interface INoticeSink {
  warning(message: string, pipLine: string): string;
  dismiss(id: string): void;
}

const appSink = (trans: TranslationBundle): INoticeSink => ({
  warning: (message, pipLine) =>
    Notification.warning(message, {
      autoClose: false,
      actions: [
        {
          label: trans.__('Copy pip command'),
          caption: pipLine,
          callback: () => Clipboard.copyToSystem(pipLine)
        }
      ]
    }),
  dismiss: id => Notification.dismiss(id)
});

/**
 * One warning per kernel when the helper is missing from its environment,
 * with the exact pip command and a button that copies it; the warning goes
 * away once that notebook's helper is loaded (installed, kernel restarted).
 */
export function noticeMissingHelper(
  registry: IConnectorRegistry,
  trans: TranslationBundle,
  sink: INoticeSink = appSink(trans)
): void {
  const notified = new Set<string>();
  const shown = new Map<unknown, string>();
  registry.stateChanged.connect((_, c) => {
    const s = c.state;
    if (s.status === 'ready') {
      const id = shown.get(c);
      if (id !== undefined) {
        shown.delete(c);
        sink.dismiss(id);
      }
      return;
    }
    if (s.status !== 'missing-helper' || !s.pipLine) {
      return;
    }
    const key = `${s.kernelId}:${s.pipLine}`;
    if (notified.has(key)) {
      return;
    }
    notified.add(key);
    // Notifications are cut at 140 characters: the pip line comes first.
    shown.set(
      c,
      sink.warning(
        trans.__(
          'Cython Pin helper missing in this kernel. Run: %1',
          s.pipLine
        ),
        s.pipLine
      )
    );
  });
}
