import { CodeCell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { KernelMessage } from '@jupyterlab/services';
import type { IBuildStateTracker, IConnectorRegistry } from '../tokens';
import type { BuildProgress } from './progress';

/** The msg_id of the execute request a cell's output area waits on, if any. */
function executeMsgId(cell: CodeCell): string | null {
  return cell.outputArea?.future?.msg.header.msg_id ?? null;
}

/**
 * Feed `progress` from the app: a magic cell is queued when scheduled behind
 * other work, running when the kernel echoes its code (execute_input), in
 * the stage the helper reports (build_progress, sent for the cell the kernel
 * runs), and done when its run ends.
 */
export function followProgress(
  tracker: INotebookTracker,
  registry: IConnectorRegistry,
  builds: IBuildStateTracker,
  progress: BuildProgress<CodeCell>
): void {
  const panels = new WeakMap<CodeCell, NotebookPanel>();
  const watchedPanels = new WeakSet<NotebookPanel>();

  const onIOPub = (panel: NotebookPanel, msg: KernelMessage.IMessage) => {
    if (msg.header.msg_type !== 'execute_input') {
      return;
    }
    const parent = (msg.parent_header as { msg_id?: string }).msg_id;
    for (const cell of panel.content.widgets) {
      if (
        cell instanceof CodeCell &&
        progress.get(cell)?.queued &&
        executeMsgId(cell) === parent
      ) {
        progress.started(cell);
      }
    }
  };

  builds.stateChanged.connect((_, { panel, cell, state }) => {
    if (state.phase === 'building') {
      if (!progress.get(cell)) {
        // Queued when another cell of this notebook is running or waiting ([*]); else it runs now (the
        // kernel's execute_input would only confirm it a moment later). Not the kernel's busy status:
        // comm messages answered during a long cell make it say idle.
        const ahead = panel.content.widgets.some(
          c =>
            c !== cell &&
            c instanceof CodeCell &&
            c.model.executionState === 'running'
        );
        panels.set(cell, panel);
        progress.scheduled(cell);
        if (!ahead) {
          progress.started(cell);
        }
        cell.disposed.connect(() => progress.finished(cell));
      }
      if (!watchedPanels.has(panel)) {
        watchedPanels.add(panel);
        panel.sessionContext.iopubMessage.connect((_, msg) =>
          onIOPub(panel, msg)
        );
      }
    } else {
      progress.finished(cell);
    }
  });

  registry.eventReceived.connect((_, { connector, event }) => {
    if (event.event !== 'build_progress') {
      return;
    }
    const panel = tracker.find(p => registry.get(p) === connector);
    if (!panel) {
      return;
    }
    const inPanel = (cell: CodeCell) => panels.get(cell) === panel;
    // The kernel runs one cell at a time: the one it started last, or the first one waiting if the
    // start was not seen.
    const cell =
      progress.running(c => inPanel(c) && !progress.get(c)?.queued) ??
      panel.content.widgets.find(
        (c): c is CodeCell => c instanceof CodeCell && !!progress.get(c)
      ) ??
      null;
    if (cell) {
      progress.stage(cell, event.data.stage, event.data.elapsed_s);
    }
  });
}
