import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { pinIcon } from '../icons';
import {
  IConnectorRegistry,
  PLUGIN_PREFIX,
  TRANSLATION_DOMAIN
} from '../tokens';
import { appPanelHost } from './appHost';
import { addPanelCommands } from './commands';
import { PinManagerModel } from './model';
import { PinManagerPanel } from './view';

export const PANEL_ID = 'jp-CythonPin-pinManager';

export const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: `${PLUGIN_PREFIX}:panel`,
  description: 'Pin manager side panel.',
  autoStart: true,
  requires: [INotebookTracker, IConnectorRegistry],
  optional: [ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    registry: IConnectorRegistry,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const model = new PinManagerModel(registry, trans);
    const host = appPanelHost(tracker, registry, trans);
    const panel = new PinManagerPanel(model, host, trans);
    panel.id = PANEL_ID;
    panel.title.icon = pinIcon;
    panel.title.label = trans.__('Cython Pins');
    panel.title.caption = trans.__('Cython pins and build cache');
    app.shell.add(panel, 'right', { rank: 600 });
    restorer?.add(panel, PANEL_ID);

    // The panel follows the notebook the user is working in.
    const follow = () => {
      const nb = tracker.currentWidget;
      const connector = nb ? registry.get(nb) : undefined;
      model.setTarget(
        nb && connector
          ? { connector, label: nb.title.label || nb.context.path }
          : null
      );
    };
    tracker.currentChanged.connect(follow);
    registry.connectorsChanged.connect(follow);
    follow();

    const ids = addPanelCommands({
      commands: app.commands,
      tracker,
      registry,
      model,
      host,
      open: () => app.shell.activateById(PANEL_ID),
      trans
    });
    for (const command of ids) {
      palette?.addItem({ command, category: trans.__('Cython Pin') });
    }
  }
};
