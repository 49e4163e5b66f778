import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  IConnectorRegistry,
  ICythonPinSettings,
  PLUGIN_PREFIX,
  TRANSLATION_DOMAIN
} from '../tokens';
import { appResultActions } from './actions';
import { createRendererFactory } from './widget';

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
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    tracker: INotebookTracker,
    registry: IConnectorRegistry,
    settings: ICythonPinSettings,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const actions = appResultActions(registry, tracker, settings, trans);
    rendermime.addFactory(createRendererFactory(actions, trans), 0);
  }
};
