import { TranslationBundle } from '@jupyterlab/translation';
import {
  addBelowIcon,
  copyIcon,
  deleteIcon,
  downloadIcon,
  editIcon
} from '@jupyterlab/ui-components';
import { CythonPinError } from '../kernel/client';
import type { IOpResults } from '../protocol';
import type { VirtualElement } from '../ui/vdom';
import { ButtonFactory, IPanelHost } from './host';

/** What a pin row's buttons say, for a personal or a team pin. */
export interface IPinActionTexts {
  copied: string;
  insertTip: string;
  importTip: string;
  imported: (r: IOpResults['import_pinned'], names: string) => string;
  renameTip: string;
  renameTitle: string;
  renamed: (newAlias: string) => string;
  unpinTip: string;
  unpinTitle: string;
  unpinQuestion: string;
  unpinned: string;
  /** The alias was already gone when Unpin ran (another kernel or user removed it). */
  notPinned: string;
}

/** Rename: ask for the new alias; a collision is said in the panel's terms (it has no "overwrite"). */
export function renameButton(
  alias: string,
  rename: (newAlias: string) => Promise<IOpResults['rename_pin']>,
  texts: IPinActionTexts,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): VirtualElement {
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

/** Unpin: a danger action, confirmed first; says so when there was no such pin (the list refreshes). */
export function unpinButton(
  unpin: () => Promise<IOpResults['unpin']>,
  texts: IPinActionTexts,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): VirtualElement {
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
        const r = await unpin();
        host.notify(
          r.removed ? 'success' : 'info',
          r.removed ? texts.unpinned : texts.notPinned
        );
      }
    },
    { icon: deleteIcon, danger: true }
  );
}

/** Copy key, Insert import and Import: what anyone may do with a pin (`team`: a team pin's import code). */
export function useButtons(
  key: string,
  alias: string,
  team: boolean,
  importPinned: () => Promise<IOpResults['import_pinned']>,
  texts: IPinActionTexts,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): VirtualElement[] {
  return [
    button(
      'jp-CythonPin-copy',
      trans.__('Copy key'),
      trans.__('Copy %1', key),
      () => {
        host.copy(key);
        host.notify('info', texts.copied);
      },
      { icon: copyIcon }
    ),
    button(
      'jp-CythonPin-insertImport',
      trans.__('Insert import'),
      texts.insertTip,
      () => (team ? host.insertImport(alias, true) : host.insertImport(alias)),
      { icon: addBelowIcon }
    ),
    button(
      'jp-CythonPin-import',
      trans.__('Import'),
      texts.importTip,
      async () => {
        const r = await importPinned();
        host.notify(
          'success',
          texts.imported(r, r.names.join(', ') || trans.__('no public names'))
        );
      },
      { icon: downloadIcon }
    )
  ];
}
