import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  InputDialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { CythonPinError } from '../kernel/client';
import { INoticeSink, noticeWhileQueued } from '../kernel/queueNotice';
import type { ConnectorRegistry } from '../kernel/registry';
import { cellFor, notebookFor, revealInCell } from '../notebookUtils';
import { SettingsModel } from '../settings';
import {
  IConnectorRegistry,
  ICythonPinSettings,
  PLUGIN_PREFIX
} from '../tokens';
import { IBuildResultActions } from './view';
import { createRendererFactory } from './widget';

export const notificationSink: INoticeSink = {
  show: message =>
    Notification.emit(message, 'in-progress', { autoClose: false }),
  dismiss: id => Notification.dismiss(id)
};

/** Ask for an alias and pin `key` through the given kernel; returns the alias. */
export async function promptAndPin(
  registry: ConnectorRegistry,
  tracker: INotebookTracker,
  key: string,
  host: HTMLElement | null,
  suggestion = ''
): Promise<string | null> {
  const panel = notebookFor(tracker, host);
  const connector = panel ? registry.get(panel) : undefined;
  if (!connector || !connector.isReady) {
    Notification.error(
      `Cython Pin: cannot pin: ${connector?.state.message ?? 'no notebook kernel is connected.'}`,
      { autoClose: 8000 }
    );
    return null;
  }
  const answer = await InputDialog.getText({
    title: 'Pin build as',
    label: `Alias for ${key.slice(0, 12)}`,
    placeholder: 'my_module',
    text: suggestion,
    okLabel: 'Pin'
  });
  const alias = answer.button.accept ? (answer.value ?? '').trim() : '';
  if (!alias) {
    return null;
  }
  try {
    await noticeWhileQueued(
      connector,
      connector.request('pin', { key, alias, overwrite: false }),
      `Pinning "${alias}"`,
      notificationSink
    );
  } catch (e) {
    const err = e as CythonPinError;
    if (err.type !== 'ValueError' && err.type !== 'PinRegistryError') {
      Notification.error(`Cython Pin: ${err.message}`, { autoClose: 8000 });
      return null;
    }
    // Alias points elsewhere, or this key already has another alias.
    const replace = await showDialog({
      title: 'Already pinned',
      body: err.message,
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: 'Pin anyway' })
      ]
    });
    if (!replace.button.accept) {
      return null;
    }
    try {
      await connector.request('pin', { key, alias, overwrite: true });
    } catch (e2) {
      Notification.error(`Cython Pin: ${(e2 as Error).message}`, {
        autoClose: 8000
      });
      return null;
    }
  }
  Notification.success(
    `Cython Pin: pinned ${key.slice(0, 12)} as "${alias}".`,
    {
      autoClose: 4000
    }
  );
  return alias;
}

export const rendererPlugin: JupyterFrontEndPlugin<void> = {
  id: `${PLUGIN_PREFIX}:renderer`,
  description:
    'Renders cython_pin build results (application/vnd.cython-pin.build+json).',
  autoStart: true,
  requires: [
    IRenderMimeRegistry,
    INotebookTracker,
    IConnectorRegistry,
    ICythonPinSettings
  ],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    tracker: INotebookTracker,
    registry: ConnectorRegistry,
    settings: SettingsModel
  ) => {
    const actions: IBuildResultActions = {
      copyKey: key => {
        Clipboard.copyToSystem(key);
        Notification.info('Cython Pin: key copied to the clipboard.', {
          autoClose: 2000
        });
      },
      pinAs: (result, host) =>
        result.key
          ? promptAndPin(registry, tracker, result.key, host)
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
    rendermime.addFactory(createRendererFactory(actions), 0);
  }
};
