import { TranslationBundle } from '@jupyterlab/translation';
import { usersIcon } from '@jupyterlab/ui-components';
import { IPinRow, isUnreadable, IUnreadableRow } from '../protocol';
import { h, VirtualElement } from '../ui/vdom';
import { formatBytes, formatUtc, shortKey } from '../ui/format';
import { ButtonFactory, IPanelHost } from './host';
import type { PinManagerModel } from './model';
import {
  IPinActionTexts,
  renameButton,
  unpinButton,
  useButtons
} from './pinActions';
import { list, listRow, unreadableRow } from './rows';

/**
 * The pins list: one row per alias with its details and a toolbar of icon buttons (see rows.ts).
 */
export function renderPinTable(
  m: PinManagerModel,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): VirtualElement {
  const unavailable = m.unavailableText;
  const rows = unavailable
    ? []
    : m.filteredPins.map(p =>
        isUnreadable(p)
          ? unreadablePin(p, 'jp-CythonPin-pinRow', trans)
          : pinRow(p, m, host, button, trans)
      );
  return list(
    'jp-CythonPin-pinTable',
    trans.__('Pins'),
    rows,
    unavailable ??
      (m.pins.length
        ? trans.__('No pins match the filter.')
        : trans.__('No pins yet.'))
  );
}

/** A pin row the panel cannot read, personal or team (`cls`). */
export function unreadablePin(
  r: IUnreadableRow,
  cls: string,
  trans: TranslationBundle
): VirtualElement {
  return unreadableRow(
    r,
    cls,
    trans.__('Unreadable pin %1', r.alias ?? shortKey(r.key ?? '?')),
    trans.__(
      'This row does not match what the extension expects (%1).',
      r.error
    )
  );
}

/** "Pin to team…": pin this build as a team pin (only where this kernel may change team pins). */
export function pinToTeamButton(
  key: string,
  suggestion: string,
  m: PinManagerModel,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): VirtualElement | null {
  if (!m.team.canWrite) {
    return null;
  }
  return button(
    'jp-CythonPin-pinTeam',
    trans.__('Pin to team…'),
    trans.__('Pin this build as a team pin, shared through the team cache'),
    async () => {
      await host.pinKey(key, { team: true, suggestion });
    },
    { icon: usersIcon }
  );
}

function pinRow(
  p: IPinRow,
  m: PinManagerModel,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): VirtualElement {
  const texts: IPinActionTexts = {
    copied: trans.__('Copied the key of "%1".', p.alias),
    insertTip: trans.__(
      'Insert import_pinned("%1") into the notebook',
      p.alias
    ),
    importTip: trans.__('Bind "%1" and its names in the kernel', p.alias),
    imported: (r, names) =>
      trans.__(
        'Imported %1 (%2) into the kernel: %3.',
        r.alias,
        r.module_name,
        names
      ),
    renameTip: trans.__('Rename "%1"', p.alias),
    renameTitle: trans.__('Rename pin'),
    renamed: name => trans.__('Renamed "%1" to "%2".', p.alias, name),
    unpinTip: trans.__('Remove the alias "%1"', p.alias),
    unpinTitle: trans.__('Unpin'),
    unpinQuestion: trans.__(
      'Remove the alias "%1"? The build stays in the cache until garbage collection.',
      p.alias
    ),
    unpinned: trans.__('Unpinned "%1".', p.alias),
    notPinned: trans.__(
      'No pin named "%1" (it may have been removed elsewhere); list refreshed.',
      p.alias
    )
  };
  return listRow({
    cls: 'jp-CythonPin-pinRow',
    data: { alias: p.alias, key: p.key },
    main: [
      h('span', { class: 'jp-CythonPin-pinAlias', title: p.alias }, p.alias),
      h(
        'code',
        { class: 'jp-CythonPin-pinKey', title: p.key },
        shortKey(p.key)
      ),
      h('span', { class: 'jp-CythonPin-pinSize' }, formatBytes(p.size_bytes))
    ],
    meta: [
      h(
        'span',
        { class: 'jp-CythonPin-pinModule' },
        p.module_name ?? (p.in_cache ? '—' : trans.__('missing from cache'))
      ),
      h('span', { class: 'jp-CythonPin-pinCreated' }, formatUtc(p.created_utc))
    ],
    actionsCls: 'jp-CythonPin-pinActions',
    actionsLabel: trans.__('Actions for %1', p.alias),
    actions: [
      ...useButtons(
        p.key,
        p.alias,
        false,
        () => m.importPinned(p.alias),
        texts,
        host,
        button,
        trans
      ),
      renameButton(
        p.alias,
        name => m.rename(p.alias, name),
        texts,
        host,
        button,
        trans
      ),
      unpinButton(() => m.unpin(p.alias), texts, host, button, trans),
      pinToTeamButton(p.key, p.alias, m, host, button, trans)
    ]
  });
}
