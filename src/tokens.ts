import { Token } from '@lumino/coreutils';
import type { ConnectorRegistry } from './kernel/registry';
import type { SettingsModel } from './settings';

/** Every command id of the extension. */
export namespace CommandIDs {
  export const compileCell = 'cython-pin:compile-cell';
  export const loadHelper = 'cython-pin:load-helper';
  export const openPanel = 'cython-pin:open-pin-manager';
  export const refreshPanel = 'cython-pin:refresh-pin-manager';
  export const pinKey = 'cython-pin:pin-key';
  export const insertImport = 'cython-pin:insert-import';
}

export const PLUGIN_PREFIX = 'jupyterlab-cython-pin';
export const SETTINGS_PLUGIN_ID = `${PLUGIN_PREFIX}:plugin`;
export const DEFAULT_SHORTCUT = 'Accel Alt B';

/** Per-notebook kernel connectors, shared by every feature plugin. */
export const IConnectorRegistry = new Token<ConnectorRegistry>(
  `${PLUGIN_PREFIX}:IConnectorRegistry`,
  'Connections to the cython_pin helper in each notebook kernel.'
);

/** Live, typed settings. */
export const ICythonPinSettings = new Token<SettingsModel>(
  `${PLUGIN_PREFIX}:ICythonPinSettings`,
  'Typed settings of jupyterlab-cython-pin.'
);
