import {
  CONFIG_CHOICES,
  CONFIG_RANGES,
  DEFAULT_CONFIG,
  ICythonPinConfig
} from './_generated/settings';

export { DEFAULT_CONFIG };
export type { ICythonPinConfig };

function inRange(name: keyof ICythonPinConfig, value: unknown): boolean {
  const range = CONFIG_RANGES[name];
  if (!range) {
    return true;
  }
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= (range.minimum ?? -Infinity) &&
    value <= (range.maximum ?? Infinity)
  );
}

/**
 * Normalises raw settings: each value of the wrong type, outside its schema
 * enumeration or outside its schema range, falls back to the schema default;
 * strings are trimmed.
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
      (!choices || choices.includes(value)) &&
      inRange(name, value)
    ) {
      config[name] = typeof value === 'string' ? value.trim() : value;
    }
  }
  return config as unknown as ICythonPinConfig;
}
