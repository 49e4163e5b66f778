import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';
import {
  IConnectorRegistry,
  ICythonPinSettings,
  PLUGIN_PREFIX,
  TRANSLATION_DOMAIN
} from '../tokens';
import { appResultActions } from './actions';
import { createRendererFactory, PinsChange } from './widget';

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
    // Every kernel's pin changes: a result follows those of its own cache.
    const pinsChanged = new Signal<object, PinsChange>(registry);
    registry.eventReceived.connect((_, { event }) => {
      if (event.event === 'pins_changed') {
        pinsChanged.emit(event.data);
      }
    });
    rendermime.addFactory(
      createRendererFactory(actions, trans, pinsChanged),
      0
    );
  }
};
