import { TranslationBundle } from '@jupyterlab/translation';
import { isUnreadable, IToolchainRow, Row } from '../protocol';
import { formatBytes, formatUtc, shortKey } from '../ui/format';
import { h, VirtualElement } from '../ui/vdom';
import type { PinManagerModel } from './model';
import { list, listRow, unreadableRow } from './rows';

/**
 * The toolchain group: what the cache keeps per toolchain rather than per cell (the shared utility modules,
 * the precompiled headers), with the toolchain each was made by. Not cells: no pins, no imports. Always
 * drawn (empty while unavailable), so the clean-up form after it keeps its nodes and typed values.
 */
export function renderToolchain(
  m: PinManagerModel,
  trans: TranslationBundle
): VirtualElement {
  const unavailable = m.unavailableText !== null;
  const rows = unavailable
    ? []
    : m.toolchain.map(t =>
        isUnreadable(t)
          ? unreadableRow(
              t,
              'jp-CythonPin-toolchainRow',
              trans.__('Unreadable toolchain entry'),
              trans.__(
                'This row does not match what the extension expects (%1).',
                t.error
              )
            )
          : toolchainRow(t, trans)
      );
  return h(
    'div',
    { class: 'jp-CythonPin-toolchain', key: 'jp-CythonPin-toolchain' },
    unavailable ? null : h('h4', {}, trans.__('Toolchain')),
    unavailable
      ? null
      : list(
          'jp-CythonPin-toolchainTable',
          trans.__('Toolchain entries'),
          rows,
          trans.__('No toolchain entries.')
        )
  );
}

function toolchainRow(
  t: IToolchainRow,
  trans: TranslationBundle
): VirtualElement {
  return listRow({
    cls: `jp-CythonPin-toolchainRow${t.present === false ? ' jp-mod-gone' : ''}`,
    data: { key: t.id, kind: t.kind },
    key: `toolchain:${t.id}`,
    main: [
      h(
        'span',
        { class: 'jp-CythonPin-toolchainKind' },
        toolchainKindText(t, trans)
      ),
      h('span', { class: 'jp-CythonPin-cacheSize' }, formatBytes(t.size_bytes)),
      t.present === false
        ? h(
            'span',
            {
              class: 'jp-CythonPin-toolchainGone',
              title: trans.__(
                'No build will use it again; clean-up removes it.'
              )
            },
            trans.__('no longer present')
          )
        : null,
      h(
        'span',
        { class: 'jp-CythonPin-toolchainLabel' },
        t.toolchain ?? trans.__('toolchain unknown')
      )
    ],
    meta: [
      h(
        'code',
        { class: 'jp-CythonPin-cacheKey', title: t.id },
        shortKey(t.id)
      ),
      t.flags ? h('span', {}, t.flags) : null,
      h('span', {}, formatUtc(t.created_utc))
    ],
    actions: []
  });
}

/** What kind of toolchain entry a row is, in words. */
export function toolchainKindText(
  t: IToolchainRow,
  trans: TranslationBundle
): string {
  switch (t.kind) {
    case 'shared':
      return trans.__('shared utility module');
    case 'pch':
      return trans.__('precompiled Python.h');
  }
}

/** A removed toolchain entry in the clean-up preview: what it was and for which toolchain. */
export function removedToolchainText(
  t: Row<IToolchainRow>,
  trans: TranslationBundle
): string {
  if (isUnreadable(t)) {
    return trans.__('unreadable toolchain entry');
  }
  const why = t.present === false ? trans.__(', no longer present') : '';
  return `${shortKey(t.id)} ${toolchainKindText(t, trans)}, ${t.toolchain ?? trans.__('toolchain unknown')}${why} (${formatBytes(t.size_bytes)})`;
}
