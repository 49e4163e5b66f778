import { IUnreadableRow } from '../protocol';
import { h, VChild, VirtualElement } from '../ui/vdom';
import { OPTIONAL_COLUMN } from './host';

/** One row of a panel list: what it shows and its toolbar of actions. */
export interface IListRow {
  /** Classes of the row besides the shared ones. */
  cls: string;
  /** data-* attributes (alias, key) that tests and the e2e harness find rows by. */
  data: { [name: string]: string };
  /** Keeps the row's DOM node while rows around it come and go (default: its alias, else its key). */
  key?: string;
  /** The details always shown. */
  main: VChild[];
  /** The details hidden when the panel is narrow. */
  meta: VChild[];
  actions: VChild[];
  /** Accessible name of the toolbar ("Actions for square"). */
  actionsLabel?: string;
  /** Extra classes of the toolbar. */
  actionsCls?: string;
}

/**
 * A list row: its details on the left and a toolbar of icon buttons on the right that wraps under the
 * details when the panel is narrow, so every action stays inside the panel at any width.
 */
export function listRow(r: IListRow): VirtualElement {
  const data: { [name: string]: string } = {};
  for (const [name, value] of Object.entries(r.data)) {
    data[`data-${name}`] = value;
  }
  return h(
    'li',
    {
      class: `${r.cls} jp-CythonPin-listRow`,
      key: r.key ?? r.data.alias ?? r.data.key,
      ...data
    },
    h(
      'div',
      { class: 'jp-CythonPin-rowInfo' },
      h('div', { class: 'jp-CythonPin-rowMain' }, ...r.main),
      r.meta.length
        ? h(
            'div',
            { class: `jp-CythonPin-rowMeta ${OPTIONAL_COLUMN}` },
            ...r.meta
          )
        : null
    ),
    h(
      'div',
      {
        class: `jp-CythonPin-rowActions ${r.actionsCls ?? ''}`.trim(),
        role: 'toolbar',
        'aria-label': r.actionsLabel
      },
      ...r.actions
    )
  );
}

/** A panel list: its rows, or one line saying why there are none. */
export function list(
  cls: string,
  label: string,
  rows: VirtualElement[],
  emptyText: string
): VirtualElement {
  return h(
    'ul',
    { class: `${cls} jp-CythonPin-list`, key: cls, 'aria-label': label },
    ...(rows.length
      ? rows
      : [h('li', { class: 'jp-CythonPin-empty' }, emptyText)])
  );
}

/**
 * A row the panel could not read (it does not match the contract this extension knows): said as such,
 * with the reason on hover, and no actions, while the rest of the list shows as usual.
 */
export function unreadableRow(
  r: IUnreadableRow,
  cls: string,
  label: string,
  reason: string
): VirtualElement {
  const data: { [name: string]: string } = {};
  if (r.key !== null) {
    data.key = r.key;
  }
  if (r.alias !== null) {
    data.alias = r.alias;
  }
  return listRow({
    cls: `${cls} jp-CythonPin-unreadableRow`,
    data,
    key: `unreadable:${r.alias ?? r.key ?? r.error}`,
    main: [
      h('span', { class: 'jp-CythonPin-unreadable', title: r.error }, label)
    ],
    meta: [h('span', { class: 'jp-CythonPin-unreadableReason' }, reason)],
    actions: []
  });
}
