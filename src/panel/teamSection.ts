import { TranslationBundle } from '@jupyterlab/translation';
import { IRemoteStatus, isUnreadable, ITeamPinRow } from '../protocol';
import { h, VChild, VirtualElement } from '../ui/vdom';
import { shortKey } from '../ui/format';
import { ButtonFactory, IPanelHost } from './host';
import type { PinManagerModel } from './model';
import {
  IPinActionTexts,
  renameButton,
  unpinButton,
  useButtons
} from './pinActions';
import { unreadablePin } from './pinTable';
import { list, listRow } from './rows';
import type { TeamCacheModel } from './teamModel';

/**
 * The "Team cache" section: the remote (URL, mode, reachable, trusted keys, whether this kernel may write,
 * and why it is unusable), then the team pins with the personal pins' actions; Rename and Unpin only where
 * this kernel may change team pins.
 */
export function renderTeamSection(
  m: PinManagerModel,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): VirtualElement {
  const t = m.team;
  const s = t.status;
  const parts: VChild[] = [
    h('h3', {}, trans.__('Team cache')),
    t.checking
      ? h(
          'div',
          { class: 'jp-CythonPin-teamChecking', role: 'status' },
          trans.__('Checking the team cache…')
        )
      : null
  ];
  const section = () =>
    h(
      'section',
      {
        class: 'jp-CythonPin-team',
        key: 'jp-CythonPin-team',
        'aria-label': trans.__('Team cache')
      },
      ...parts
    );
  if (m.unavailableText) {
    return section();
  }
  if (t.error) {
    parts.push(h('div', { class: 'jp-CythonPin-teamMessage' }, t.error));
  }
  if (!s) {
    return section();
  }
  if (!s.configured) {
    parts.push(
      h(
        'div',
        { class: 'jp-CythonPin-teamNone' },
        trans.__('No team cache configured (CYTHON_PIN_REMOTE)')
      )
    );
    return section();
  }
  parts.push(statusLine(s, trans));
  if (s.message) {
    parts.push(h('div', { class: 'jp-CythonPin-teamMessage' }, s.message));
  }
  const pins = t.filtered(m.filter);
  parts.push(
    list(
      'jp-CythonPin-teamTable',
      trans.__('Team pins'),
      pins.map(p =>
        isUnreadable(p)
          ? unreadablePin(p, 'jp-CythonPin-teamRow', trans)
          : teamRow(p, t, host, button, trans)
      ),
      t.pins.length
        ? trans.__('No team pins match the filter.')
        : s.reachable && !s.message
          ? trans.__('No team pins yet.')
          : trans.__('No team pins to show.')
    )
  );
  return section();
}

/** One labelled fact of the team cache's status: `Store  file:///…`. */
function fact(label: string, value: VChild, cls: string): VChild[] {
  return [h('dt', {}, label), h('dd', { class: cls }, value)];
}

function statusLine(
  s: IRemoteStatus,
  trans: TranslationBundle
): VirtualElement {
  const reach =
    s.reachable === null
      ? trans.__('not checked')
      : s.reachable
        ? trans.__('reachable')
        : trans.__('unreachable');
  return h(
    'dl',
    { class: 'jp-CythonPin-teamStatus' },
    ...fact(
      trans.__('Store'),
      h('span', { class: 'jp-CythonPin-teamUrl', title: s.url ?? '' }, s.url),
      'jp-CythonPin-teamStore'
    ),
    ...fact(trans.__('Mode'), s.mode ?? '—', 'jp-CythonPin-teamMode'),
    ...fact(
      trans.__('Status'),
      h(
        'span',
        {
          class: 'jp-CythonPin-teamReachable',
          'data-reachable': String(s.reachable)
        },
        reach
      ),
      'jp-CythonPin-teamState'
    ),
    ...fact(
      trans.__('Trusted keys'),
      String(s.trusted_keys),
      'jp-CythonPin-teamKeys'
    ),
    ...(s.signing_key_id
      ? fact(
          trans.__('Signing key id'),
          h('code', {}, s.signing_key_id),
          'jp-CythonPin-teamSigner'
        )
      : []),
    ...fact(
      trans.__('Team pins'),
      s.can_write
        ? trans.__('this kernel can change them')
        : trans.__('read-only here'),
      'jp-CythonPin-teamWrite'
    )
  );
}

function teamRow(
  p: ITeamPinRow,
  t: TeamCacheModel,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): VirtualElement {
  const texts: IPinActionTexts = {
    copied: trans.__('Copied the key of team pin "%1".', p.alias),
    insertTip: trans.__(
      'Insert import_pinned("%1", team=True) into the notebook',
      p.alias
    ),
    importTip: trans.__(
      'Bind team pin "%1" and its names in the kernel',
      p.alias
    ),
    imported: (r, names) =>
      trans.__(
        'Imported team pin %1 (%2) into the kernel: %3.',
        r.alias,
        r.module_name,
        names
      ),
    renameTip: trans.__('Rename team pin "%1"', p.alias),
    renameTitle: trans.__('Rename team pin'),
    renamed: name => trans.__('Renamed team pin "%1" to "%2".', p.alias, name),
    unpinTip: trans.__('Remove the team alias "%1"', p.alias),
    unpinTitle: trans.__('Unpin team pin'),
    unpinQuestion: trans.__(
      'Remove the team alias "%1" for everyone using this team cache? The build stays in the team cache.',
      p.alias
    ),
    unpinned: trans.__('Unpinned team pin "%1".', p.alias),
    notPinned: trans.__(
      'No team pin named "%1" (it may have been removed elsewhere); list refreshed.',
      p.alias
    )
  };
  const actions = useButtons(
    p.key,
    p.alias,
    true,
    () => t.importPinned(p.alias),
    texts,
    host,
    button,
    trans
  );
  if (t.canWrite) {
    actions.push(
      renameButton(
        p.alias,
        name => t.rename(p.alias, name),
        texts,
        host,
        button,
        trans
      ),
      unpinButton(() => t.unpin(p.alias), texts, host, button, trans)
    );
  }
  return listRow({
    cls: 'jp-CythonPin-teamRow',
    data: { alias: p.alias, key: p.key, writable: String(t.canWrite) },
    main: [
      h('span', { class: 'jp-CythonPin-pinAlias', title: p.alias }, p.alias),
      h('code', { class: 'jp-CythonPin-pinKey', title: p.key }, shortKey(p.key))
    ],
    meta: [
      h(
        'span',
        { class: 'jp-CythonPin-teamInCache' },
        p.in_cache
          ? trans.__('in the local cache')
          : trans.__('fetched from the team cache on import')
      )
    ],
    actions,
    actionsLabel: trans.__('Actions for team pin %1', p.alias)
  });
}
