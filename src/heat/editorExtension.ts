import {
  EditorExtensionRegistry,
  IEditorExtensionRegistry
} from '@jupyterlab/codemirror';
import type { TranslationBundle } from '@jupyterlab/translation';
import { heatExtension } from './gutter';

/**
 * Editor option that turns on the heat gutter of one editor. Off by
 * default, so cells that never had an annotation keep their width.
 */
export const HEAT_OPTION = 'cythonPinHeat';

/** Register the heat gutter with JupyterLab's editor extensions. */
export function registerHeatGutter(
  registry: IEditorExtensionRegistry,
  trans: TranslationBundle
): void {
  const extension = heatExtension(trans);
  registry.addExtension<boolean>({
    name: HEAT_OPTION,
    default: false,
    factory: () =>
      EditorExtensionRegistry.createConfigurableExtension<boolean>(on =>
        on ? extension : []
      )
  });
}
