import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  CommandIDs,
  IConnectorRegistry,
  ICythonPinSettings,
  PLUGIN_PREFIX,
  TRANSLATION_DOMAIN
} from '../tokens';
import { KernelConnector } from './connector';
import { reactivateOnSettingsChange } from './followSettings';
import { addLoadHelperCommand } from './loadHelperCommand';
import { noticeMissingHelper } from './missingHelperNotice';
import { ConnectorRegistry } from './registry';

/** One connector per notebook; notices for a missing helper. */
export const kernelPlugin: JupyterFrontEndPlugin<IConnectorRegistry> = {
  id: `${PLUGIN_PREFIX}:kernel`,
  description:
    'Loads the cython_pin helper into each notebook kernel and keeps a comm to it.',
  autoStart: true,
  requires: [INotebookTracker, ICythonPinSettings],
  optional: [ICommandPalette, ITranslator],
  provides: IConnectorRegistry,
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    settings: ICythonPinSettings,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): IConnectorRegistry => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const registry = new ConnectorRegistry(
      sessionContext =>
        new KernelConnector({
          sessionContext,
          autoLoad: () => settings.config.autoLoadHelper,
          cacheDir: () => settings.config.cacheDir,
          takeOverCython: () => settings.config.takeOverCythonMagic,
          trans
        })
    );
    tracker.widgetAdded.connect((_, panel) => {
      registry.add(panel, panel.sessionContext);
      panel.disposed.connect(() => registry.remove(panel));
    });
    tracker.forEach(panel => registry.add(panel, panel.sessionContext));
    noticeMissingHelper(registry, trans);
    reactivateOnSettingsChange(registry, settings);

    addLoadHelperCommand(
      app.commands,
      () => {
        const panel = tracker.currentWidget;
        return panel ? (registry.get(panel) ?? null) : null;
      },
      trans
    );
    palette?.addItem({
      command: CommandIDs.loadHelper,
      category: trans.__('Cython Pin')
    });
    return registry;
  }
};
