import { IUnreadableRow } from '../protocol';
import { Child, h } from '../ui/dom';
import { OPTIONAL_COLUMN } from './host';

/** One row of a panel list: what it shows and its toolbar of actions. */
export interface IListRow {
  /** Classes of the row besides the shared ones. */
  cls: string;
  /** data-* attributes (alias, key) that tests and the e2e harness find rows by. */
  data: { [name: string]: string };
  /** The details always shown. */
  main: Child[];
  /** The details hidden when the panel is narrow. */
  meta: Child[];
  actions: Child[];
  /** Accessible name of the toolbar ("Actions for square"). */
  actionsLabel?: string;
  /** Extra classes of the toolbar. */
  actionsCls?: string;
}

/**
 * A list row: its details on the left and a toolbar of icon buttons on the right that wraps under the
 * details when the panel is narrow, so every action stays inside the panel at any width.
 */
export function listRow(r: IListRow): HTMLElement {
  const data: { [name: string]: string } = {};
  for (const [name, value] of Object.entries(r.data)) {
    data[`data-${name}`] = value;
  }
  return h(
    'li',
    { class: `${r.cls} jp-CythonPin-listRow`, ...data },
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
  rows: HTMLElement[],
  emptyText: string
): HTMLElement {
  return h(
    'ul',
    { class: `${cls} jp-CythonPin-list`, 'aria-label': label },
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
): HTMLElement {
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
    main: [
      h('span', { class: 'jp-CythonPin-unreadable', title: r.error }, label)
    ],
    meta: [h('span', { class: 'jp-CythonPin-unreadableReason' }, reason)],
    actions: []
  });
}
