import { Widget } from '@lumino/widgets';
import { formatBytes, formatUtc, h, shortKey } from '../dom';
import { IGcArgs, IPinRow } from '../protocol';
import { PinManagerModel } from './model';

/** Dialogs and shell actions the panel needs (JupyterLab ones in the app). */
export interface IPanelHost {
  confirm(title: string, body: string, accept: string): Promise<boolean>;
  prompt(title: string, label: string, value: string): Promise<string | null>;
  copy(text: string): void;
  insertImport(alias: string): void;
  notify(kind: 'success' | 'error' | 'info', message: string): void;
}

/** Columns hidden when the side panel is narrow (see base.css). */
const OPTIONAL = new Set(['Module', 'Created', 'Profile']);

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Parse the clean-up form into gc_cache args (empty field = no limit). */
export function readGcForm(values: {
  keepNewest: string;
  maxAgeDays: string;
  maxMiB: string;
}): Omit<IGcArgs, 'dry_run'> {
  const num = (s: string): number | null => {
    const t = s.trim();
    if (!t) {
      return null;
    }
    const n = Number(t);
    return Number.isFinite(n) && n >= 0 ? n : null;
  };
  const keep = num(values.keepNewest);
  const age = num(values.maxAgeDays);
  const mib = num(values.maxMiB);
  return {
    keep_n_newest: keep === null ? null : Math.floor(keep),
    max_age_days: age,
    max_bytes: mib === null ? null : Math.floor(mib * 1024 * 1024)
  };
}

/** The pin manager side panel. Renders the model; actions go through host. */
export class PinManagerPanel extends Widget {
  constructor(
    readonly model: PinManagerModel,
    private readonly _host: IPanelHost
  ) {
    super();
    this.addClass('jp-CythonPin-panel');
    this.title.caption = 'Cython pins';
    this._filterInput = h('input', {
      class: 'jp-CythonPin-filter jp-mod-styled',
      type: 'search',
      placeholder: 'Filter pins',
      'aria-label': 'Filter pins'
    });
    this._filterInput.addEventListener('input', () =>
      this.model.setFilter(this._filterInput.value)
    );
    this._gcInputs = {
      keepNewest: h('input', {
        class: 'jp-CythonPin-gcKeep jp-mod-styled',
        type: 'number',
        min: '0',
        placeholder: 'all',
        'aria-label': 'Keep newest entries'
      }),
      maxAgeDays: h('input', {
        class: 'jp-CythonPin-gcAge jp-mod-styled',
        type: 'number',
        min: '0',
        placeholder: 'any',
        'aria-label': 'Maximum age in days'
      }),
      maxMiB: h('input', {
        class: 'jp-CythonPin-gcSize jp-mod-styled',
        type: 'number',
        min: '0',
        placeholder: 'any',
        'aria-label': 'Maximum total size in MiB'
      })
    };
    this._body = h('div', { class: 'jp-CythonPin-panelBody' });
    this.node.appendChild(this._body);
    model.changed.connect(this.render, this);
    this.render();
  }

  dispose(): void {
    this.model.changed.disconnect(this.render, this);
    super.dispose();
  }

  render(): void {
    const m = this.model;
    const focused = document.activeElement;
    this._body.textContent = '';
    const refresh = h(
      'button',
      {
        class: 'jp-Button jp-mod-styled jp-CythonPin-refresh',
        type: 'button',
        title: 'Re-read pins and cache'
      },
      'Refresh'
    );
    refresh.disabled = !m.connected;
    refresh.addEventListener('click', () => void m.refresh());
    this._body.appendChild(
      h(
        'div',
        { class: 'jp-CythonPin-panelHeader' },
        h('h2', { class: 'jp-CythonPin-panelTitle' }, 'Cython pins'),
        refresh
      )
    );
    this._body.appendChild(
      h(
        'div',
        {
          class: 'jp-CythonPin-connection',
          'data-connected': m.connected ? 'true' : 'false'
        },
        m.connectionText
      )
    );
    if (m.queued) {
      this._body.appendChild(
        h(
          'div',
          { class: 'jp-CythonPin-queued' },
          'Queued: the kernel is busy running a cell; this request runs when it finishes.'
        )
      );
    } else if (m.loading) {
      this._body.appendChild(
        h('div', { class: 'jp-CythonPin-loading' }, 'Loading…')
      );
    }
    if (m.error) {
      this._body.appendChild(
        h('div', { class: 'jp-CythonPin-panelError' }, m.error)
      );
    }
    this._body.appendChild(this._filterInput);
    this._body.appendChild(this._renderPins());
    this._body.appendChild(this._renderCache());
    if (focused instanceof HTMLElement && this.node.contains(focused)) {
      focused.focus();
    }
  }

  private _renderPins(): HTMLElement {
    const m = this.model;
    const rows = m.filteredPins.map(p => this._pinRow(p));
    if (!rows.length) {
      rows.push(
        h(
          'tr',
          { class: 'jp-CythonPin-empty' },
          h(
            'td',
            { colspan: '6' },
            m.pins.length ? 'No pins match the filter.' : 'No pins yet.'
          )
        )
      );
    }
    const table = h(
      'table',
      { class: 'jp-CythonPin-pinTable' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Alias', 'Key', 'Module', 'Size', 'Created', 'Actions'].map(t =>
            h(
              'th',
              { class: OPTIONAL.has(t) ? 'jp-mod-optional' : undefined },
              t
            )
          )
        )
      ),
      h('tbody', {}, ...rows)
    );
    return h('div', { class: 'jp-CythonPin-tableWrap' }, table);
  }

  private _button(
    cls: string,
    text: string,
    title: string,
    onClick: () => Promise<void> | void
  ): HTMLButtonElement {
    const b = h(
      'button',
      {
        class: `jp-Button jp-mod-minimal jp-CythonPin-action ${cls}`,
        type: 'button',
        title
      },
      text
    );
    b.disabled = !this.model.connected;
    b.addEventListener('click', () => {
      void (async () => {
        try {
          await onClick();
        } catch (e) {
          this._host.notify('error', errorText(e));
        }
      })();
    });
    return b;
  }

  private _pinRow(p: IPinRow): HTMLElement {
    const m = this.model;
    const host = this._host;
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
        { class: 'jp-CythonPin-pinModule jp-mod-optional' },
        p.module_name ?? (p.in_cache ? '—' : 'missing from cache')
      ),
      h('td', { class: 'jp-CythonPin-pinSize' }, formatBytes(p.size_bytes)),
      h(
        'td',
        { class: 'jp-CythonPin-pinCreated jp-mod-optional' },
        formatUtc(p.created_utc)
      ),
      h(
        'td',
        { class: 'jp-CythonPin-pinActions' },
        this._button('jp-CythonPin-copy', 'Copy key', `Copy ${p.key}`, () => {
          host.copy(p.key);
          host.notify('info', `Copied the key of "${p.alias}".`);
        }),
        this._button(
          'jp-CythonPin-insertImport',
          'Insert import',
          `Insert import_pinned("${p.alias}") into the notebook`,
          () => host.insertImport(p.alias)
        ),
        this._button(
          'jp-CythonPin-import',
          'Import',
          `Bind "${p.alias}" and its names in the kernel`,
          async () => {
            const r = await m.importPinned(p.alias);
            host.notify(
              'success',
              `Imported ${r.alias} (${r.module_name}) into the kernel: ${
                r.names.join(', ') || 'no public names'
              }.`
            );
          }
        ),
        this._button(
          'jp-CythonPin-rename',
          'Rename',
          `Rename "${p.alias}"`,
          async () => {
            const name = await host.prompt('Rename pin', 'New alias', p.alias);
            if (name && name !== p.alias) {
              const r = await m.rename(p.alias, name);
              host.notify('success', `Renamed "${p.alias}" to "${r.alias}".`);
            }
          }
        ),
        this._button(
          'jp-CythonPin-unpin',
          'Unpin',
          `Remove the alias "${p.alias}"`,
          async () => {
            const ok = await host.confirm(
              'Unpin',
              `Remove the alias "${p.alias}"? The build stays in the cache until garbage collection.`,
              'Unpin'
            );
            if (ok) {
              await m.unpin(p.alias);
              host.notify('success', `Unpinned "${p.alias}".`);
            }
          }
        )
      )
    );
  }

  private _renderCache(): HTMLElement {
    const m = this.model;
    const host = this._host;
    const stats = m.stats;
    const rows = m.entries.map(e =>
      h(
        'tr',
        { class: 'jp-CythonPin-cacheRow', 'data-key': e.key },
        h(
          'td',
          { class: 'jp-CythonPin-cacheKey', title: e.key },
          h('code', {}, shortKey(e.key))
        ),
        h('td', { class: 'jp-mod-optional' }, e.module_name),
        h('td', { class: 'jp-mod-optional' }, e.profile),
        h('td', { class: 'jp-CythonPin-cacheSize' }, formatBytes(e.size_bytes)),
        h('td', { class: 'jp-mod-optional' }, formatUtc(e.created_utc)),
        h('td', {}, e.aliases.join(', ') || '—'),
        h(
          'td',
          {},
          this._button(
            'jp-CythonPin-pinEntry',
            'Pin…',
            'Pin this build under an alias',
            async () => {
              const alias = await host.prompt('Pin build', 'Alias', '');
              if (alias) {
                await m.pin(e.key, alias);
                host.notify(
                  'success',
                  `Pinned ${shortKey(e.key)} as "${alias}".`
                );
              }
            }
          )
        )
      )
    );
    if (!rows.length) {
      rows.push(
        h(
          'tr',
          { class: 'jp-CythonPin-empty' },
          h('td', { colspan: '7' }, 'The cache is empty.')
        )
      );
    }
    const readArgs = () =>
      readGcForm({
        keepNewest: this._gcInputs.keepNewest.value,
        maxAgeDays: this._gcInputs.maxAgeDays.value,
        maxMiB: this._gcInputs.maxMiB.value
      });
    const preview = this._button(
      'jp-CythonPin-gcPreview',
      'Preview clean-up',
      'Dry run: list what would be removed',
      async () => {
        await m.previewGc(readArgs());
      }
    );
    const run = this._button(
      'jp-CythonPin-gcRun',
      'Clean up…',
      'Remove unpinned cache entries (asks first)',
      async () => {
        const args = readArgs();
        const dry = await m.previewGc(args);
        if (!dry.removed.length) {
          host.notify('info', 'Nothing to clean up.');
          return;
        }
        const ok = await host.confirm(
          'Clean up the cache',
          `Remove ${dry.removed.length} cache entr${dry.removed.length === 1 ? 'y' : 'ies'} and free ${formatBytes(dry.freed_bytes)}? Pinned builds are kept.`,
          'Remove'
        );
        if (ok) {
          const r = await m.runGc(args);
          host.notify(
            'success',
            `Removed ${r.removed.length} entries, freed ${formatBytes(r.freed_bytes)}.`
          );
        }
      }
    );
    const previewBox = m.gcPreview
      ? h(
          'div',
          { class: 'jp-CythonPin-gcPreviewResult' },
          m.gcPreview.removed.length
            ? `Would remove ${m.gcPreview.removed.length} entr${m.gcPreview.removed.length === 1 ? 'y' : 'ies'}, freeing ${formatBytes(m.gcPreview.freed_bytes)}; ${m.gcPreview.kept} kept.`
            : `Nothing would be removed; ${m.gcPreview.kept} kept.`,
          m.gcPreview.removed.length
            ? h(
                'ul',
                {},
                ...m.gcPreview.removed.map(e =>
                  h(
                    'li',
                    {},
                    `${shortKey(e.key)} ${e.module_name} (${formatBytes(e.size_bytes)})`
                  )
                )
              )
            : null
        )
      : null;
    return h(
      'section',
      { class: 'jp-CythonPin-cache' },
      h('h3', {}, 'Cache'),
      h(
        'div',
        { class: 'jp-CythonPin-cacheStats' },
        stats
          ? `${stats.entries} entr${stats.entries === 1 ? 'y' : 'ies'}, ${formatBytes(stats.total_bytes)}, ${stats.pins} pin${stats.pins === 1 ? '' : 's'} · ${stats.cache_dir}`
          : '—'
      ),
      h(
        'div',
        { class: 'jp-CythonPin-tableWrap' },
        h(
          'table',
          { class: 'jp-CythonPin-cacheTable' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...[
                'Key',
                'Module',
                'Profile',
                'Size',
                'Created',
                'Aliases',
                ''
              ].map(t =>
                h(
                  'th',
                  { class: OPTIONAL.has(t) ? 'jp-mod-optional' : undefined },
                  t
                )
              )
            )
          ),
          h('tbody', {}, ...rows)
        )
      ),
      h(
        'div',
        { class: 'jp-CythonPin-gcForm' },
        h('label', {}, 'Keep newest ', this._gcInputs.keepNewest),
        h('label', {}, 'Max age (days) ', this._gcInputs.maxAgeDays),
        h('label', {}, 'Max size (MiB) ', this._gcInputs.maxMiB),
        preview,
        run
      ),
      previewBox
    );
  }

  private _body: HTMLElement;
  private _filterInput: HTMLInputElement;
  private _gcInputs: {
    keepNewest: HTMLInputElement;
    maxAgeDays: HTMLInputElement;
    maxMiB: HTMLInputElement;
  };
}
