import {
  CONFIG_CHOICES,
  DEFAULT_CONFIG,
  ICythonPinConfig
} from './_generated/settings';

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
