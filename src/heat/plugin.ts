import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorExtensionRegistry } from '@jupyterlab/codemirror';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  CommandIDs,
  IBuildStateTracker,
  PLUGIN_PREFIX,
  TRANSLATION_DOMAIN
} from '../tokens';
import { activeCellView, addShowLineCCommand } from './command';
import { registerHeatGutter } from './editorExtension';
import { followAnnotatedBuilds } from './follow';

export const heatPlugin: JupyterFrontEndPlugin<void> = {
  id: `${PLUGIN_PREFIX}:heat`,
  description:
    "The heat gutter: a %%cython_pin cell's lines shaded by their annotation score, and each line's C.",
  autoStart: true,
  requires: [INotebookTracker, IBuildStateTracker],
  optional: [IEditorExtensionRegistry, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    builds: IBuildStateTracker,
    editorExtensions: IEditorExtensionRegistry | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    if (!editorExtensions) {
      return; // no CodeMirror extensions, no gutter
    }
    registerHeatGutter(editorExtensions, trans);
    followAnnotatedBuilds(builds);
    addShowLineCCommand(app.commands, () => activeCellView(tracker), trans);
    palette?.addItem({
      command: CommandIDs.showLineC,
      category: trans.__('Cython Pin')
    });
  }
};
