import type { IConnectorRegistry, ICythonPinSettings } from '../tokens';

/**
 * Reload the helper in every kernel when the cache directory changes or
 * automatic loading is switched on (no page reload needed).
 */
export function reactivateOnSettingsChange(
  registry: IConnectorRegistry,
  settings: ICythonPinSettings
): void {
  let lastCacheDir = settings.config.cacheDir;
  let lastAutoLoad = settings.config.autoLoadHelper;
  settings.changed.connect((_, config) => {
    const cacheChanged = config.cacheDir !== lastCacheDir;
    const autoOn = config.autoLoadHelper && !lastAutoLoad;
    lastCacheDir = config.cacheDir;
    lastAutoLoad = config.autoLoadHelper;
    if (cacheChanged || autoOn) {
      registry.reactivateAll();
    }
  });
}
