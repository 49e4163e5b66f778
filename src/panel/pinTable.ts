import { TranslationBundle } from '@jupyterlab/translation';
import {
  addBelowIcon,
  copyIcon,
  deleteIcon,
  editIcon,
  runIcon
} from '@jupyterlab/ui-components';
import { CythonPinError } from '../kernel/client';
import { IPinRow } from '../protocol';
import { h } from '../ui/dom';
import { formatBytes, formatUtc, shortKey } from '../ui/format';
import { ButtonFactory, IPanelHost, OPTIONAL_COLUMN } from './host';
import type { PinManagerModel } from './model';

/**
 * The pins list: one row per alias, its details on the left and a toolbar of icon buttons on the right that
 * wraps under the details when the panel is narrow, so every action stays inside the panel at any width.
 */
export function renderPinTable(
  m: PinManagerModel,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): HTMLElement {
  const unavailable = m.unavailableText;
  const rows = unavailable
    ? []
    : m.filteredPins.map(p => pinRow(p, m, host, button, trans));
  if (!rows.length) {
    rows.push(
      h(
        'li',
        { class: 'jp-CythonPin-empty' },
        unavailable ??
          (m.pins.length
            ? trans.__('No pins match the filter.')
            : trans.__('No pins yet.'))
      )
    );
  }
  return h(
    'ul',
    {
      class: 'jp-CythonPin-pinTable jp-CythonPin-list',
      'aria-label': trans.__('Pins')
    },
    ...rows
  );
}

function pinRow(
  p: IPinRow,
  m: PinManagerModel,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): HTMLElement {
  return h(
    'li',
    {
      class: 'jp-CythonPin-pinRow jp-CythonPin-listRow',
      'data-alias': p.alias,
      'data-key': p.key
    },
    h(
      'div',
      { class: 'jp-CythonPin-rowInfo' },
      h(
        'div',
        { class: 'jp-CythonPin-rowMain' },
        h('span', { class: 'jp-CythonPin-pinAlias', title: p.alias }, p.alias),
        h(
          'code',
          { class: 'jp-CythonPin-pinKey', title: p.key },
          shortKey(p.key)
        ),
        h('span', { class: 'jp-CythonPin-pinSize' }, formatBytes(p.size_bytes))
      ),
      h(
        'div',
        { class: `jp-CythonPin-rowMeta ${OPTIONAL_COLUMN}` },
        h(
          'span',
          { class: 'jp-CythonPin-pinModule' },
          p.module_name ?? (p.in_cache ? '—' : trans.__('missing from cache'))
        ),
        h(
          'span',
          { class: 'jp-CythonPin-pinCreated' },
          formatUtc(p.created_utc)
        )
      )
    ),
    h(
      'div',
      {
        class: 'jp-CythonPin-pinActions jp-CythonPin-rowActions',
        role: 'toolbar',
        'aria-label': trans.__('Actions for %1', p.alias)
      },
      button(
        'jp-CythonPin-copy',
        trans.__('Copy key'),
        trans.__('Copy %1', p.key),
        () => {
          host.copy(p.key);
          host.notify('info', trans.__('Copied the key of "%1".', p.alias));
        },
        { icon: copyIcon }
      ),
      button(
        'jp-CythonPin-insertImport',
        trans.__('Insert import'),
        trans.__('Insert import_pinned("%1") into the notebook', p.alias),
        () => host.insertImport(p.alias),
        { icon: addBelowIcon }
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
        },
        { icon: runIcon }
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
            const r = await m.rename(p.alias, name).catch((e: unknown) => {
              // The helper's text speaks of overwrite=True; the panel has no such control.
              if (
                e instanceof CythonPinError &&
                e.type === 'AliasCollisionError'
              ) {
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
            if (!r) {
              return;
            }
            host.notify(
              'success',
              trans.__('Renamed "%1" to "%2".', p.alias, r.alias)
            );
          }
        },
        { icon: editIcon }
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
        },
        { icon: deleteIcon, danger: true }
      )
    )
  );
}
