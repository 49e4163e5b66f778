import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { CommandIDs, IKernelConnector } from '../tokens';

/** "Load Cython helper into kernel": (re)load it in the current notebook's kernel. */
export function addLoadHelperCommand(
  commands: CommandRegistry,
  current: () => IKernelConnector | null,
  trans: TranslationBundle
): void {
  commands.addCommand(CommandIDs.loadHelper, {
    label: trans.__('Load Cython helper into kernel'),
    caption: trans.__(
      'Load cython_pin into the current notebook kernel and connect to it'
    ),
    isEnabled: () => current() !== null,
    execute: async () => {
      const c = current();
      if (!c) {
        return;
      }
      const state = await c.activate(true);
      if (state.status === 'ready') {
        Notification.success(trans.__('Cython Pin: %1', state.message), {
          autoClose: 4000
        });
      } else if (state.status !== 'missing-helper') {
        Notification.error(trans.__('Cython Pin: %1', state.message), {
          autoClose: 8000
        });
      }
    }
  });
}
