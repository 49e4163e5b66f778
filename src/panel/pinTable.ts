import { TranslationBundle } from '@jupyterlab/translation';
import { IPinRow } from '../protocol';
import { h } from '../ui/dom';
import { formatBytes, formatUtc, shortKey } from '../ui/format';
import { ButtonFactory, IPanelHost, OPTIONAL_COLUMN } from './host';
import type { PinManagerModel } from './model';

/** The pins table: one row per alias with its actions. */
export function renderPinTable(
  m: PinManagerModel,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): HTMLElement {
  const rows = m.filteredPins.map(p => pinRow(p, m, host, button, trans));
  if (!rows.length) {
    rows.push(
      h(
        'tr',
        { class: 'jp-CythonPin-empty' },
        h(
          'td',
          { colspan: '6' },
          m.pins.length
            ? trans.__('No pins match the filter.')
            : trans.__('No pins yet.')
        )
      )
    );
  }
  const columns: [string, boolean][] = [
    [trans.__('Alias'), false],
    [trans.__('Key'), false],
    [trans.__('Module'), true],
    [trans.__('Size'), false],
    [trans.__('Created'), true],
    [trans.__('Actions'), false]
  ];
  const table = h(
    'table',
    { class: 'jp-CythonPin-pinTable' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...columns.map(([t, optional]) =>
          h('th', { class: optional ? OPTIONAL_COLUMN : undefined }, t)
        )
      )
    ),
    h('tbody', {}, ...rows)
  );
  return h('div', { class: 'jp-CythonPin-tableWrap' }, table);
}

function pinRow(
  p: IPinRow,
  m: PinManagerModel,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): HTMLElement {
  return h(
    'tr',
    {
      class: 'jp-CythonPin-pinRow',
      'data-alias': p.alias,
      'data-key': p.key
    },
    h('td', { class: 'jp-CythonPin-pinAlias' }, p.alias),
    h(
      'td',
      { class: 'jp-CythonPin-pinKey', title: p.key },
      h('code', {}, shortKey(p.key))
    ),
    h(
      'td',
      { class: `jp-CythonPin-pinModule ${OPTIONAL_COLUMN}` },
      p.module_name ?? (p.in_cache ? '—' : trans.__('missing from cache'))
    ),
    h('td', { class: 'jp-CythonPin-pinSize' }, formatBytes(p.size_bytes)),
    h(
      'td',
      { class: `jp-CythonPin-pinCreated ${OPTIONAL_COLUMN}` },
      formatUtc(p.created_utc)
    ),
    h(
      'td',
      { class: 'jp-CythonPin-pinActions' },
      button(
        'jp-CythonPin-copy',
        trans.__('Copy key'),
        trans.__('Copy %1', p.key),
        () => {
          host.copy(p.key);
          host.notify('info', trans.__('Copied the key of "%1".', p.alias));
        }
      ),
      button(
        'jp-CythonPin-insertImport',
        trans.__('Insert import'),
        trans.__('Insert import_pinned("%1") into the notebook', p.alias),
        () => host.insertImport(p.alias)
      ),
      button(
        'jp-CythonPin-import',
        trans.__('Import'),
        trans.__('Bind "%1" and its names in the kernel', p.alias),
        async () => {
          const r = await m.importPinned(p.alias);
          host.notify(
            'success',
            trans.__(
              'Imported %1 (%2) into the kernel: %3.',
              r.alias,
              r.module_name,
              r.names.join(', ') || trans.__('no public names')
            )
          );
        }
      ),
      button(
        'jp-CythonPin-rename',
        trans.__('Rename'),
        trans.__('Rename "%1"', p.alias),
        async () => {
          const name = await host.prompt(
            trans.__('Rename pin'),
            trans.__('New alias'),
            p.alias
          );
          if (name && name !== p.alias) {
            const r = await m.rename(p.alias, name);
            host.notify(
              'success',
              trans.__('Renamed "%1" to "%2".', p.alias, r.alias)
            );
          }
        }
      ),
      button(
        'jp-CythonPin-unpin',
        trans.__('Unpin'),
        trans.__('Remove the alias "%1"', p.alias),
        async () => {
          const ok = await host.confirm(
            trans.__('Unpin'),
            trans.__(
              'Remove the alias "%1"? The build stays in the cache until garbage collection.',
              p.alias
            ),
            trans.__('Unpin')
          );
          if (ok) {
            await m.unpin(p.alias);
            host.notify('success', trans.__('Unpinned "%1".', p.alias));
          }
        }
      )
    )
  );
}
