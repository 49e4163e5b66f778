import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';
import { DEFAULT_CONFIG, ICythonPinConfig, readConfig } from '../settings';
import type { ICythonPinSettings } from '../tokens';

/** Holds the current settings and signals every change (no reload needed). */
export class SettingsModel implements ICythonPinSettings {
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
