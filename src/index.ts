import { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { buildAheadPlugin } from './ahead/plugin';
import { compilePlugin } from './compile/plugin';
import { settingsPlugin } from './config/plugin';
import { heatPlugin } from './heat/plugin';
import { kernelPlugin } from './kernel/plugin';
import { panelPlugin } from './panel/plugin';
import { rendererPlugin } from './renderer/plugin';

export * from './protocol';
export {
  CommandIDs,
  IBuildStateTracker,
  IConnectorRegistry,
  ICythonPinSettings
} from './tokens';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  settingsPlugin,
  kernelPlugin,
  compilePlugin,
  buildAheadPlugin,
  heatPlugin,
  rendererPlugin,
  panelPlugin
];

export default plugins;
