import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import {
  IBuildStateTracker,
  IConnectorRegistry,
  ICythonPinSettings,
  PLUGIN_PREFIX
} from '../tokens';
import { startBuildAhead } from './buildAhead';

export const buildAheadPlugin: JupyterFrontEndPlugin<void> = {
  id: `${PLUGIN_PREFIX}:build-ahead`,
  description:
    'Builds magic cells in the background while the user types, and shows their Cython diagnostics live.',
  autoStart: true,
  requires: [
    INotebookTracker,
    IConnectorRegistry,
    IBuildStateTracker,
    ICythonPinSettings
  ],
  activate: (
    _app: JupyterFrontEnd,
    tracker: INotebookTracker,
    registry: IConnectorRegistry,
    builds: IBuildStateTracker,
    settings: ICythonPinSettings
  ) => {
    startBuildAhead({ tracker, registry, builds, settings });
  }
};
