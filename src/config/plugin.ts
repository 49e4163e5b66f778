import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ICythonPinSettings, SETTINGS_PLUGIN_ID } from '../tokens';
import { SettingsModel } from './model';

/** Loads schema/plugin.json settings and provides them, live. */
export const settingsPlugin: JupyterFrontEndPlugin<ICythonPinSettings> = {
  id: SETTINGS_PLUGIN_ID,
  description: 'Settings of jupyterlab-cython-pin.',
  autoStart: true,
  optional: [ISettingRegistry],
  provides: ICythonPinSettings,
  activate: async (
    app: JupyterFrontEnd,
    registry: ISettingRegistry | null
  ): Promise<ICythonPinSettings> => {
    const model = new SettingsModel();
    if (registry) {
      try {
        model.track(await registry.load(SETTINGS_PLUGIN_ID));
      } catch (reason) {
        console.error('cython-pin: failed to load settings', reason);
      }
    }
    return model;
  }
};
