import { CodeCell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { showCellDiagnostics } from '../diagnostics/cellMarkers';
import { showCellHeat } from '../heat/cellHeat';
import type {
  IBuildStateTracker,
  IConnectorRegistry,
  ICythonPinSettings
} from '../tokens';
import { aheadSource } from './eligible';
import { liveDiagnostics } from './liveDiagnostics';
import { PrebuildScheduler } from './scheduler';

export interface IBuildAheadOptions {
  tracker: INotebookTracker;
  registry: IConnectorRegistry;
  builds: IBuildStateTracker;
  settings: ICythonPinSettings;
}

function cellById(panel: NotebookPanel, id: string): CodeCell | null {
  for (const cell of panel.content.widgets) {
    if (cell instanceof CodeCell && cell.model.id === id) {
      return cell;
    }
  }
  return null;
}

/**
 * Build ahead while the user types: each notebook gets a scheduler that
 * sends `prebuild` after a pause in a magic cell's edits (when the setting
 * is on and the helper is ready), and the helper's prebuild_state events
 * about a cell's current text become its lint markers, and with
 * liveAnnotation its heat gutter.
 */
export function startBuildAhead(options: IBuildAheadOptions): void {
  const { tracker, registry, builds, settings } = options;
  const schedulers = new WeakMap<NotebookPanel, PrebuildScheduler>();
  const seen = new WeakSet<CodeCell>();

  /** The cell's text of `generation` is in the cache: its marker says so while the text stays. */
  const ready = (
    panel: NotebookPanel,
    scheduler: PrebuildScheduler,
    cellId: string,
    generation: number
  ) => {
    const cell = cellById(panel, cellId);
    if (cell && scheduler.isCurrent(cellId, generation)) {
      builds.setBuiltAhead(cell);
    }
  };

  const schedulerOf = (panel: NotebookPanel): PrebuildScheduler => {
    let scheduler = schedulers.get(panel);
    if (!scheduler) {
      const s: PrebuildScheduler = new PrebuildScheduler({
        send: (cellId, generation, source) => {
          const connector = registry.get(panel);
          if (!connector?.isReady) {
            return Promise.reject(new Error('the helper is not ready'));
          }
          return connector
            .request('prebuild', {
              cell_id: cellId,
              generation,
              source,
              ...(settings.config.liveAnnotation ? { annotate: true } : {})
            })
            .then(result => {
              if (result.decision === 'cached') {
                ready(panel, s, cellId, result.generation);
              }
              return result;
            });
        },
        delayMs: () => settings.config.buildAheadDelayMs
      });
      panel.disposed.connect(() => s.dispose());
      schedulers.set(panel, s);
      scheduler = s;
    }
    return scheduler;
  };

  builds.sourceChanged.connect((_, { panel, cell }) => {
    // The first signal is the cell being seen (the notebook opened): only edits are built ahead.
    if (!seen.has(cell)) {
      seen.add(cell);
      return;
    }
    const source = settings.config.buildAhead
      ? aheadSource(
          cell.model.sharedModel.getSource(),
          settings.config.takeOverCythonMagic ||
            builds.state(cell).result !== null
        )
      : null;
    schedulerOf(panel).edited(cell.model.id, source);
  });

  // A run of the cell builds it anyway: a pending build ahead would only repeat it.
  builds.stateChanged.connect((_, { panel, cell, state }) => {
    if (state.phase === 'building') {
      schedulers.get(panel)?.cancel(cell.model.id);
    }
  });

  settings.changed.connect((_, config) => {
    if (!config.buildAhead) {
      tracker.forEach(panel => schedulers.get(panel)?.cancelAll());
    }
  });

  // Edits made before the helper was ready (a new or restarted kernel) are built once it is.
  registry.stateChanged.connect((_, connector) => {
    if (!connector.isReady) {
      return;
    }
    const panel = tracker.find(p => registry.get(p) === connector);
    if (panel) {
      schedulers.get(panel)?.helperReady();
    }
  });

  registry.eventReceived.connect((_, { connector, event }) => {
    if (event.event !== 'prebuild_state') {
      return;
    }
    const panel = tracker.find(p => registry.get(p) === connector);
    const scheduler = panel ? schedulers.get(panel) : undefined;
    if (!panel || !scheduler) {
      return;
    }
    const { cell_id, generation } = event.data;
    const current = () => scheduler.isCurrent(cell_id, generation);
    const diagnostics = liveDiagnostics(event.data, (id, g) =>
      scheduler.isCurrent(id, g)
    );
    const cell = cellById(panel, cell_id);
    if (diagnostics && cell) {
      showCellDiagnostics(cell, diagnostics, current);
    }
    const annotation = event.data.annotation;
    if (annotation && cell && settings.config.liveAnnotation && current()) {
      showCellHeat(cell, annotation, current);
    }
    if (event.data.stage === 'done') {
      ready(panel, scheduler, cell_id, generation);
    }
  });
}
