import { TranslationBundle } from '@jupyterlab/translation';
import { pinIcon } from '../icons';
import { ICacheRow, isUnreadable, Row } from '../protocol';
import { h, VirtualElement } from '../ui/vdom';
import { formatBytes, formatUtc, shortKey } from '../ui/format';
import { hasLimit, IGcFormValues, readGcForm } from './gcForm';
import { ButtonFactory, IPanelHost } from './host';
import type { GcPreview, PinManagerModel } from './model';
import { pinToTeamButton } from './pinTable';
import { list, listRow, unreadableRow } from './rows';
import { removedToolchainText, renderToolchain } from './toolchainSection';

/** The clean-up form's number inputs: drawn by the view, which keeps their nodes (and typed values). */
function gcInput(
  cls: string,
  placeholder: string,
  label: string
): VirtualElement {
  return h('input', {
    class: `${cls} jp-mod-styled`,
    type: 'number',
    min: '0',
    placeholder,
    'aria-label': label
  });
}

/** The clean-up form's values as typed, read from the inputs drawn in `node` (the panel body). */
export function readGcInputs(node: HTMLElement): IGcFormValues {
  const value = (cls: string) =>
    node.querySelector<HTMLInputElement>(`.${cls}`)?.value ?? '';
  return {
    keepNewest: value('jp-CythonPin-gcKeep'),
    maxAgeDays: value('jp-CythonPin-gcAge'),
    maxMiB: value('jp-CythonPin-gcSize')
  };
}

function entries(n: number, trans: TranslationBundle): string {
  return trans._n('%1 entry', '%1 entries', n);
}

/** The cache section: stats, entries table, toolchain entries, clean-up form and its preview. */
export function renderCacheSection(
  m: PinManagerModel,
  host: IPanelHost,
  button: ButtonFactory,
  values: () => IGcFormValues,
  trans: TranslationBundle
): VirtualElement {
  const stats = m.stats;
  const unavailable = m.unavailableText;
  const rows = unavailable
    ? []
    : m.entries.map(e =>
        isUnreadable(e)
          ? unreadableRow(
              e,
              'jp-CythonPin-cacheRow',
              trans.__('Unreadable entry %1', shortKey(e.key ?? '?')),
              trans.__(
                'This row does not match what the extension expects (%1).',
                e.error
              )
            )
          : cacheRow(e, m, host, button, trans)
      );
  const preview = button(
    'jp-CythonPin-gcPreview',
    trans.__('Preview clean-up'),
    trans.__('Dry run: list what would be removed'),
    async () => {
      const args = readGcForm(values());
      if (!hasLimit(args)) {
        host.notify('info', noLimit(trans));
        return;
      }
      await m.previewGc(args);
    }
  );
  const run = button(
    'jp-CythonPin-gcRun',
    trans.__('Clean up…'),
    trans.__('Remove unpinned cache entries (asks first)'),
    async () => {
      const args = readGcForm(values());
      if (!hasLimit(args)) {
        host.notify('info', noLimit(trans));
        return;
      }
      const dry = await m.previewGc(args);
      if (!dry.removed.length && !dry.removed_toolchain.length) {
        host.notify('info', trans.__('Nothing to clean up.'));
        return;
      }
      const ok = await host.confirm(
        trans.__('Clean up the cache'),
        dry.removed_toolchain.length
          ? trans.__(
              'Remove %1 and free %2? Pinned builds are kept.',
              removedCounts(dry, trans),
              formatBytes(dry.freed_bytes)
            )
          : trans._n(
              'Remove %1 cache entry and free %2? Pinned builds are kept.',
              'Remove %1 cache entries and free %2? Pinned builds are kept.',
              dry.removed.length,
              formatBytes(dry.freed_bytes)
            ),
        trans.__('Remove')
      );
      if (ok) {
        const r = await m.runGc(args);
        host.notify(
          'success',
          r.removed_toolchain.length
            ? trans.__(
                'Removed %1, freed %2.',
                removedCounts(r, trans),
                formatBytes(r.freed_bytes)
              )
            : trans.__(
                'Removed %1 entries, freed %2.',
                r.removed.length,
                formatBytes(r.freed_bytes)
              )
        );
      }
    },
    { danger: true }
  );
  return h(
    'section',
    { class: 'jp-CythonPin-cache', key: 'jp-CythonPin-cache' },
    h('h3', {}, trans.__('Cache')),
    h(
      'div',
      { class: 'jp-CythonPin-cacheStats' },
      stats && !unavailable
        ? trans.__(
            '%1, %2, %3 · %4',
            entries(stats.entries, trans),
            formatBytes(stats.total_bytes),
            pinCounts(stats.pins, m, trans),
            stats.cache_dir
          )
        : '—'
    ),
    list(
      'jp-CythonPin-cacheTable',
      trans.__('Cache entries'),
      rows,
      unavailable ?? trans.__('The cache is empty.')
    ),
    renderToolchain(m, trans),
    h(
      'div',
      { class: 'jp-CythonPin-gcForm' },
      h(
        'label',
        {},
        trans.__('Keep newest'),
        ' ',
        gcInput(
          'jp-CythonPin-gcKeep',
          trans.__('all'),
          trans.__('Keep newest entries')
        )
      ),
      h(
        'label',
        {},
        trans.__('Max age (days)'),
        ' ',
        gcInput(
          'jp-CythonPin-gcAge',
          trans.__('any'),
          trans.__('Maximum age in days')
        )
      ),
      h(
        'label',
        {},
        trans.__('Max size (MiB)'),
        ' ',
        gcInput(
          'jp-CythonPin-gcSize',
          trans.__('any'),
          trans.__('Maximum total size in MiB')
        )
      ),
      preview,
      run
    ),
    m.gcPreview ? renderGcPreview(m.gcPreview, trans) : null
  );
}

function cacheRow(
  e: ICacheRow,
  m: PinManagerModel,
  host: IPanelHost,
  button: ButtonFactory,
  trans: TranslationBundle
): VirtualElement {
  return listRow({
    cls: 'jp-CythonPin-cacheRow',
    data: { key: e.key },
    main: [
      h(
        'code',
        { class: 'jp-CythonPin-cacheKey', title: e.key },
        shortKey(e.key)
      ),
      h('span', { class: 'jp-CythonPin-cacheSize' }, formatBytes(e.size_bytes)),
      h(
        'span',
        { class: 'jp-CythonPin-cacheAliases' },
        aliasesText(e, m, trans)
      )
    ],
    meta: [
      h('span', { class: 'jp-CythonPin-cacheKind' }, kindText(e, trans)),
      h('span', {}, e.module_name ?? '—'),
      e.profile ? h('span', {}, e.profile) : null,
      h('span', {}, formatUtc(e.created_utc))
    ],
    // The shared utility module is the toolchain's, and an incomplete entry cannot be loaded: no pins.
    actions: pinnable(e)
      ? [
          button(
            'jp-CythonPin-pinEntry',
            trans.__('Pin…'),
            trans.__('Pin this build under an alias'),
            async () => {
              await host.pinKey(e.key);
            },
            { icon: pinIcon }
          ),
          pinToTeamButton(e.key, '', m, host, button, trans)
        ]
      : []
  });
}

/** `2 entries and 1 toolchain entry`: what a clean-up that removes toolchain entries removes. */
function removedCounts(r: GcPreview, trans: TranslationBundle): string {
  return trans.__(
    '%1 and %2',
    entries(r.removed.length, trans),
    trans._n(
      '%1 toolchain entry',
      '%1 toolchain entries',
      r.removed_toolchain.length
    )
  );
}

function pinnable(e: ICacheRow): boolean {
  return e.kind === 'module' || e.kind === 'package';
}

/** What kind of entry a row is, in words: a cell's module unless said otherwise. */
export function kindText(e: ICacheRow, trans: TranslationBundle): string {
  switch (e.kind) {
    case null:
      return trans.__('incomplete or corrupt entry');
    case 'shared':
      return trans.__('shared utility module (memoryviews)');
    case 'package':
      return trans.__('package');
    case 'module':
      return e.pgo === 'generate'
        ? trans.__('PGO instrumented build')
        : [
            e.pgo === 'use' ? trans.__('PGO build') : trans.__('module'),
            e.numpy ? trans.__('numpy') : ''
          ]
            .filter(Boolean)
            .join(' · ');
  }
}

/** The entry's personal aliases, then its team aliases (a team-pinned build is pinned too). */
function aliasesText(
  e: ICacheRow,
  m: PinManagerModel,
  trans: TranslationBundle
): string {
  const team = m.team.pins
    .filter(p => !isUnreadable(p) && p.key === e.key)
    .map(p => trans.__('%1 (team)', p.alias));
  const all = [...e.aliases, ...team];
  return all.length ? all.join(', ') : trans.__('not pinned');
}

/** `2 personal pins, 1 team pin`: counted apart (team pins only with a team cache configured). */
function pinCounts(
  personal: number,
  m: PinManagerModel,
  trans: TranslationBundle
): string {
  const mine = trans._n('%1 personal pin', '%1 personal pins', personal);
  if (!m.team.status?.configured) {
    return mine;
  }
  const team = m.team.pins.length;
  return trans.__(
    '%1, %2',
    mine,
    trans._n('%1 team pin', '%1 team pins', team)
  );
}

function renderGcPreview(
  preview: GcPreview,
  trans: TranslationBundle
): VirtualElement {
  const n = preview.removed.length + preview.removed_toolchain.length;
  return h(
    'div',
    { class: 'jp-CythonPin-gcPreviewResult' },
    preview.removed_toolchain.length
      ? trans.__(
          'Would remove %1, freeing %2; %3 kept (pinned builds are always kept).',
          removedCounts(preview, trans),
          formatBytes(preview.freed_bytes),
          preview.kept
        )
      : n
        ? trans._n(
            'Would remove %1 entry, freeing %2; %3 kept (pinned builds are always kept).',
            'Would remove %1 entries, freeing %2; %3 kept (pinned builds are always kept).',
            n,
            formatBytes(preview.freed_bytes),
            preview.kept
          )
        : trans.__(
            'Nothing would be removed; %1 kept (pinned builds are always kept).',
            preview.kept
          ),
    n
      ? h(
          'ul',
          {},
          ...preview.removed.map(e => h('li', {}, removedText(e, trans))),
          ...preview.removed_toolchain.map(t =>
            h('li', {}, removedToolchainText(t, trans))
          )
        )
      : null
  );
}

function removedText(e: Row<ICacheRow>, trans: TranslationBundle): string {
  if (isUnreadable(e)) {
    return trans.__('%1 unreadable entry', shortKey(e.key ?? '?'));
  }
  return `${shortKey(e.key)} ${e.module_name ?? kindText(e, trans)} (${formatBytes(e.size_bytes)})`;
}

/** What the clean-up buttons say when the form sets no limit (the fields' own labels, not gc's arguments). */
function noLimit(trans: TranslationBundle): string {
  return trans.__(
    'Set at least one limit first: Keep newest, Max age (days) or Max size (MiB). Pinned builds are always kept.'
  );
}
