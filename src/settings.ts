import { Profile, PROFILES } from './protocol';

/** Typed mirror of schema/plugin.json. */
export interface ICythonPinConfig {
  defaultProfile: Profile;
  autoLoadHelper: boolean;
  cacheDir: string;
  showAnnotation: boolean;
  autoPinFromMagic: boolean;
}

export const DEFAULT_CONFIG: ICythonPinConfig = {
  defaultProfile: 'fast-debug',
  autoLoadHelper: true,
  cacheDir: '',
  showAnnotation: true,
  autoPinFromMagic: true
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
    )
  };
}
