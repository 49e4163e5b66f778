import {
  EditorExtensionRegistry,
  IEditorExtensionRegistry
} from '@jupyterlab/codemirror';
import { diagnosticsExtension } from './markers';

/**
 * Editor option that turns on the build-diagnostics gutter of one editor.
 * Off by default, so cells that never had a build marker keep their width.
 */
export const DIAGNOSTICS_OPTION = 'cythonPinDiagnostics';

/** Register the build-diagnostics gutter with JupyterLab's editor extensions. */
export function registerDiagnosticsGutter(
  registry: IEditorExtensionRegistry
): void {
  registry.addExtension<boolean>({
    name: DIAGNOSTICS_OPTION,
    default: false,
    factory: () =>
      EditorExtensionRegistry.createConfigurableExtension<boolean>(on =>
        on ? diagnosticsExtension : []
      )
  });
}
