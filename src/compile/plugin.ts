import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorExtensionRegistry } from '@jupyterlab/codemirror';
import { CodeCell } from '@jupyterlab/cells';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { registerDiagnosticsGutter } from '../diagnostics/editorExtension';
import {
  CommandIDs,
  IBuildStateTracker,
  IConnectorRegistry,
  ICythonPinSettings,
  PLUGIN_PREFIX,
  TRANSLATION_DOMAIN
} from '../tokens';
import { BuildStateTracker } from './buildState';
import { decorateCells } from './cellDecorations';
import { addCompileCommand } from './command';
import { followProgress } from './followProgress';
import { BuildProgress } from './progress';

export const compilePlugin: JupyterFrontEndPlugin<IBuildStateTracker> = {
  id: `${PLUGIN_PREFIX}:compile`,
  description:
    'Compile command, magic cells, build state and diagnostics markers.',
  autoStart: true,
  provides: IBuildStateTracker,
  requires: [INotebookTracker, IConnectorRegistry, ICythonPinSettings],
  optional: [ICommandPalette, IEditorExtensionRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    registry: IConnectorRegistry,
    settings: ICythonPinSettings,
    palette: ICommandPalette | null,
    editorExtensions: IEditorExtensionRegistry | null,
    translator: ITranslator | null
  ): IBuildStateTracker => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const builds = new BuildStateTracker(tracker);
    if (editorExtensions) {
      registerDiagnosticsGutter(editorExtensions);
    }
    addCompileCommand({
      commands: app.commands,
      tracker,
      registry,
      settings,
      trans
    });
    palette?.addItem({
      command: CommandIDs.compileCell,
      category: trans.__('Cython Pin')
    });
    const progress = new BuildProgress<CodeCell>();
    followProgress(tracker, registry, builds, progress);
    decorateCells(builds, progress, trans);
    return builds;
  }
};
