import type { IConnectorRegistry, ICythonPinSettings } from '../tokens';

/**
 * Reload the helper in every kernel when the cache directory changes,
 * automatic loading is switched on, or the `%%cython` takeover is switched
 * (no page reload needed).
 */
export function reactivateOnSettingsChange(
  registry: IConnectorRegistry,
  settings: ICythonPinSettings
): void {
  let lastCacheDir = settings.config.cacheDir;
  let lastAutoLoad = settings.config.autoLoadHelper;
  let lastTakeOver = settings.config.takeOverCythonMagic;
  settings.changed.connect((_, config) => {
    const cacheChanged = config.cacheDir !== lastCacheDir;
    const autoOn = config.autoLoadHelper && !lastAutoLoad;
    const takeOverChanged = config.takeOverCythonMagic !== lastTakeOver;
    lastCacheDir = config.cacheDir;
    lastAutoLoad = config.autoLoadHelper;
    lastTakeOver = config.takeOverCythonMagic;
    if (cacheChanged || autoOn || takeOverChanged) {
      registry.reactivateAll();
    }
  });
}
