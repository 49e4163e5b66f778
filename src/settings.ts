import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';
import {
  CONFIG_CHOICES,
  DEFAULT_CONFIG,
  ICythonPinConfig
} from './_generated/settings';
import { ICythonPinSettings, SETTINGS_PLUGIN_ID } from './tokens';

export { DEFAULT_CONFIG };
export type { ICythonPinConfig };

/**
 * Normalises raw settings: each value of the wrong type, or outside its
 * schema enumeration, falls back to the schema default; strings are trimmed.
 */
export function readConfig(raw: { [key: string]: unknown }): ICythonPinConfig {
  const config: { [key: string]: unknown } = { ...DEFAULT_CONFIG };
  for (const name of Object.keys(
    DEFAULT_CONFIG
  ) as (keyof ICythonPinConfig)[]) {
    const value = raw[name];
    const choices: readonly unknown[] | undefined = CONFIG_CHOICES[name];
    if (
      typeof value === typeof DEFAULT_CONFIG[name] &&
      (!choices || choices.includes(value))
    ) {
      config[name] = typeof value === 'string' ? value.trim() : value;
    }
  }
  return config as unknown as ICythonPinConfig;
}

/** Holds the current settings and signals every change (no reload needed). */
export class SettingsModel {
  get config(): ICythonPinConfig {
    return this._config;
  }
  get changed(): ISignal<this, ICythonPinConfig> {
    return this._changed;
  }
  update(raw: { [key: string]: unknown }): void {
    this._config = readConfig(raw);
    this._changed.emit(this._config);
  }
  /** Follow a loaded JupyterLab settings object. */
  track(settings: ISettingRegistry.ISettings): void {
    this.update(settings.composite as { [key: string]: unknown });
    settings.changed.connect(() =>
      this.update(settings.composite as { [key: string]: unknown })
    );
  }
  private _config: ICythonPinConfig = { ...DEFAULT_CONFIG };
  private _changed = new Signal<this, ICythonPinConfig>(this);
}

/** Loads schema/plugin.json settings and provides them, live. */
export const settingsPlugin: JupyterFrontEndPlugin<SettingsModel> = {
  id: SETTINGS_PLUGIN_ID,
  description: 'Settings of jupyterlab-cython-pin.',
  autoStart: true,
  optional: [ISettingRegistry],
  provides: ICythonPinSettings,
  activate: async (
    app: JupyterFrontEnd,
    registry: ISettingRegistry | null
  ): Promise<SettingsModel> => {
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
