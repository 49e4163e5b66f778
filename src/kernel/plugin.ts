import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Clipboard, ICommandPalette, Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import {
  CommandIDs,
  IConnectorRegistry,
  ICythonPinSettings,
  PLUGIN_PREFIX
} from '../tokens';
import { SettingsModel } from '../settings';
import { KernelConnector } from './connector';
import { ConnectorRegistry } from './registry';

/** One connector per notebook; notices for a missing helper. */
export const kernelPlugin: JupyterFrontEndPlugin<ConnectorRegistry> = {
  id: `${PLUGIN_PREFIX}:kernel`,
  description:
    'Loads the cython_pin helper into each notebook kernel and keeps a comm to it.',
  autoStart: true,
  requires: [INotebookTracker, ICythonPinSettings],
  optional: [ICommandPalette],
  provides: IConnectorRegistry,
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    settings: SettingsModel,
    palette: ICommandPalette | null
  ): ConnectorRegistry => {
    const registry = new ConnectorRegistry(
      sessionContext =>
        new KernelConnector({
          sessionContext,
          autoLoad: () => settings.config.autoLoadHelper,
          cacheDir: () => settings.config.cacheDir
        })
    );
    tracker.widgetAdded.connect((_, panel) => {
      registry.add(panel, panel.sessionContext);
      panel.disposed.connect(() => registry.remove(panel));
    });
    tracker.forEach(panel => registry.add(panel, panel.sessionContext));

    // One notice per kernel when the helper is missing.
    const notified = new Set<string>();
    registry.stateChanged.connect((_, c) => {
      const s = c.state;
      if (s.status === 'missing-helper' && s.pipLine) {
        const key = `${s.kernelId}:${s.pipLine}`;
        if (notified.has(key)) {
          return;
        }
        notified.add(key);
        const pipLine = s.pipLine;
        // Notifications are cut at 140 characters: the pip line comes first.
        Notification.warning(
          `Cython Pin helper missing in this kernel. Run: ${pipLine}`,
          {
            autoClose: false,
            actions: [
              {
                label: 'Copy pip command',
                caption: pipLine,
                callback: () => Clipboard.copyToSystem(pipLine)
              }
            ]
          }
        );
      }
    });

    let lastCacheDir = settings.config.cacheDir;
    let lastAutoLoad = settings.config.autoLoadHelper;
    settings.changed.connect((_, config) => {
      const cacheChanged = config.cacheDir !== lastCacheDir;
      const autoOn = config.autoLoadHelper && !lastAutoLoad;
      lastCacheDir = config.cacheDir;
      lastAutoLoad = config.autoLoadHelper;
      if (cacheChanged || autoOn) {
        registry.reactivateAll();
      }
    });

    const current = (): KernelConnector | null => {
      const panel = tracker.currentWidget;
      return panel ? (registry.get(panel) ?? null) : null;
    };
    app.commands.addCommand(CommandIDs.loadHelper, {
      label: 'Load Cython helper into kernel',
      caption:
        'Load cython_pin into the current notebook kernel and connect to it',
      isEnabled: () => current() !== null,
      execute: async () => {
        const c = current();
        if (!c) {
          return;
        }
        const state = await c.activate(true);
        if (state.status === 'ready') {
          Notification.success(`Cython Pin: ${state.message}`, {
            autoClose: 4000
          });
        } else if (state.status !== 'missing-helper') {
          Notification.error(`Cython Pin: ${state.message}`, {
            autoClose: 8000
          });
        }
      }
    });
    palette?.addItem({
      command: CommandIDs.loadHelper,
      category: 'Cython Pin'
    });
    return registry;
  }
};
