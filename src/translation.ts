import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { TRANSLATION_DOMAIN } from './tokens';

/** The untranslated bundle: the default outside the app (tests, no ITranslator). */
export const NULL_TRANS: TranslationBundle =
  nullTranslator.load(TRANSLATION_DOMAIN);
