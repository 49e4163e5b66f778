import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';
import { Profile, PROFILES } from './protocol';
import {
  DEFAULT_SHORTCUT,
  ICythonPinSettings,
  SETTINGS_PLUGIN_ID
} from './tokens';

/** Typed mirror of schema/plugin.json. */
export interface ICythonPinConfig {
  defaultProfile: Profile;
  autoLoadHelper: boolean;
  cacheDir: string;
  showAnnotation: boolean;
  autoPinFromMagic: boolean;
  shortcut: string;
}

export const DEFAULT_CONFIG: ICythonPinConfig = {
  defaultProfile: 'fast-debug',
  autoLoadHelper: true,
  cacheDir: '',
  showAnnotation: true,
  autoPinFromMagic: true,
  shortcut: DEFAULT_SHORTCUT
};

/** Normalises raw settings, falling back to defaults for bad values. */
export function readConfig(raw: { [key: string]: unknown }): ICythonPinConfig {
  const bool = (v: unknown, d: boolean) => (typeof v === 'boolean' ? v : d);
  const str = (v: unknown, d: string) => (typeof v === 'string' ? v : d);
  const profile = PROFILES.includes(raw.defaultProfile as Profile)
    ? (raw.defaultProfile as Profile)
    : DEFAULT_CONFIG.defaultProfile;
  return {
    defaultProfile: profile,
    autoLoadHelper: bool(raw.autoLoadHelper, DEFAULT_CONFIG.autoLoadHelper),
    cacheDir: str(raw.cacheDir, DEFAULT_CONFIG.cacheDir).trim(),
    showAnnotation: bool(raw.showAnnotation, DEFAULT_CONFIG.showAnnotation),
    autoPinFromMagic: bool(
      raw.autoPinFromMagic,
      DEFAULT_CONFIG.autoPinFromMagic
    ),
    shortcut: str(raw.shortcut, DEFAULT_CONFIG.shortcut).trim()
  };
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
