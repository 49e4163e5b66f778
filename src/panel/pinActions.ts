import { TranslationBundle } from '@jupyterlab/translation';
import { deleteIcon, editIcon } from '@jupyterlab/ui-components';
import { CythonPinError } from '../kernel/client';
import type { IOpResults } from '../protocol';
import { ButtonFactory, IPanelHost } from './host';

/** What the rename and unpin buttons say, for a personal or a team pin. */
export interface IPinActionTexts {
  renameTip: string;
  renameTitle: string;
  renamed: (newAlias: string) => string;
  unpinTip: string;
  unpinTitle: string;
  unpinQuestion: string;
  unpinned: string;
}

/** Rename: ask for the new alias; a collision is said in the panel's terms (it has no "overwrite"). */
export function renameButton(
  alias: string,
  rename: (newAlias: string) => Promise<IOpResults['rename_pin']>,
  texts: IPinActionTexts,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): HTMLButtonElement {
  return button(
    'jp-CythonPin-rename',
    trans.__('Rename'),
    texts.renameTip,
    async () => {
      const name = await host.prompt(
        texts.renameTitle,
        trans.__('New alias'),
        alias
      );
      if (!name || name === alias) {
        return;
      }
      const r = await rename(name).catch((e: unknown) => {
        // The helper's text speaks of overwrite=True; the panel has no such control.
        if (e instanceof CythonPinError && e.type === 'AliasCollisionError') {
          host.notify(
            'error',
            trans.__(
              '"%1" is already the alias of another build: unpin that one first, or choose another name.',
              name
            )
          );
          return null;
        }
        throw e;
      });
      if (r) {
        host.notify('success', texts.renamed(r.alias));
      }
    },
    { icon: editIcon }
  );
}

/** Unpin: a danger action, confirmed first. */
export function unpinButton(
  unpin: () => Promise<IOpResults['unpin']>,
  texts: IPinActionTexts,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): HTMLButtonElement {
  return button(
    'jp-CythonPin-unpin',
    trans.__('Unpin'),
    texts.unpinTip,
    async () => {
      if (
        await host.confirm(
          texts.unpinTitle,
          texts.unpinQuestion,
          trans.__('Unpin')
        )
      ) {
        await unpin();
        host.notify('success', texts.unpinned);
      }
    },
    { icon: deleteIcon, danger: true }
  );
}
