import { TranslationBundle } from '@jupyterlab/translation';
import { renderAnnotation } from '../annotation/view';
import { IBuildResult, IDiagnostic } from '../protocol';
import { NULL_TRANS } from '../translation';
import { h } from '../ui/dom';
import { formatAgo, formatSeconds, formatUtc, shortKey } from '../ui/format';
import { TimingPart, timingParts } from './timings';

/** What the renderer asks its host to do. */
export interface IBuildResultActions {
  copyKey(key: string): void;
  /** Resolves with the new alias once pinned, null when cancelled. */
  pinAs(result: IBuildResult, host: HTMLElement): Promise<string | null>;
  gotoDiagnostic(diagnostic: IDiagnostic, host: HTMLElement): void;
  showAnnotation(): boolean;
}

/** `3:12 error undeclared name not builtin: y` */
export function formatDiagnostic(d: IDiagnostic): string {
  const where = d.file ? ` (${d.file})` : '';
  return `${d.line}:${d.column} ${d.severity} ${d.message}${where}`;
}

/** The result's heading: a cache hit built nothing, so it is not a "build". */
export function statusText(
  r: IBuildResult,
  trans: TranslationBundle = NULL_TRANS
): string {
  if (r.status !== 'ok') {
    return trans.__('Build failed');
  }
  return r.used_cache
    ? trans.__('Loaded from cache')
    : trans.__('Build succeeded');
}

/** The phase names, as the helper's text summary has them too. */
function partName(part: TimingPart, trans: TranslationBundle): string {
  switch (part) {
    case 'hash':
      return trans.__('hash');
    case 'wait':
      return trans.__('lock wait');
    case 'fetch':
      return trans.__('team fetch');
    case 'cythonize':
      return trans.__('cythonize');
    case 'compile':
      return trans.__('compile');
    case 'shared':
      return trans.__('shared module');
    case 'rebuild':
      return trans.__('numpy rebuild');
    case 'load':
      return trans.__('load');
    case 'other':
      return trans.__('other');
  }
}

/** `4.86 s total (hash 1 ms, cythonize 109 ms, …, other 40 ms)`: the parts that took time add up. */
export function timingsText(
  t: IBuildResult['timings'],
  trans: TranslationBundle = NULL_TRANS
): string {
  const parts = timingParts(t).map(([part, s]) =>
    trans.__('%1 %2', partName(part, trans), formatSeconds(s))
  );
  return parts.length
    ? trans.__('%1 total (%2)', formatSeconds(t.total), parts.join(', '))
    : trans.__('%1 total', formatSeconds(t.total));
}

/** The "from cache" badge; a build fetched from the team cache names its signer. */
function cacheBadge(r: IBuildResult, trans: TranslationBundle): HTMLElement {
  if (r.origin === 'remote') {
    return h(
      'span',
      {
        class: 'jp-CythonPin-badge jp-CythonPin-fromCache jp-mod-remote',
        title: trans.__(
          'Fetched from the team cache and verified: signed by %1. Nothing was compiled.',
          r.signer ?? trans.__('an unknown key')
        )
      },
      trans.__('from team cache')
    );
  }
  return h(
    'span',
    {
      class: 'jp-CythonPin-badge jp-CythonPin-fromCache',
      title: trans.__('Loaded from the cache: nothing was compiled.')
    },
    trans.__('from cache')
  );
}

/**
 * The "built ahead" badge: this cache hit was built in the background while
 * the user typed, so a "from cache" on a cell never run is no surprise.
 */
function builtAheadBadge(
  builtAhead: string,
  now: number,
  trans: TranslationBundle
): HTMLElement {
  return h(
    'span',
    {
      class: 'jp-CythonPin-badge jp-CythonPin-builtAhead',
      title: trans.__(
        'Built in the background while you typed (%1), so this run found it in the cache.',
        formatUtc(builtAhead)
      )
    },
    trans.__('built ahead %1 ago', formatAgo(builtAhead, now))
  );
}

/**
 * Render a build result into DOM (pure: no JupyterLab services). `now` (ms
 * since the epoch) is when it is drawn, for "built ahead N s ago".
 */
export function renderBuildResult(
  r: IBuildResult,
  actions: IBuildResultActions,
  trans: TranslationBundle = NULL_TRANS,
  now: number = Date.now()
): HTMLElement {
  const root = h('div', {
    class: `jp-CythonPin-result jp-mod-${r.status}`,
    'data-status': r.status
  });

  const header = h(
    'div',
    { class: 'jp-CythonPin-header' },
    h('span', { class: 'jp-CythonPin-status' }, statusText(r, trans)),
    r.module_name
      ? h('code', { class: 'jp-CythonPin-moduleName' }, r.module_name)
      : null,
    r.used_cache ? cacheBadge(r, trans) : null,
    r.built_ahead_utc ? builtAheadBadge(r.built_ahead_utc, now, trans) : null,
    h(
      'span',
      {
        class: 'jp-CythonPin-badge jp-CythonPin-profile',
        title: trans.__('Profile')
      },
      r.profile
    )
  );
  root.appendChild(header);

  // Only when reuse lost something: a module that only defines names is the same either way.
  if (r.module_code_skipped) {
    root.appendChild(
      h(
        'div',
        { class: 'jp-CythonPin-note jp-CythonPin-reused' },
        trans.__(
          'Module already loaded in this kernel: its module-level statements did not run again (restart the kernel to re-run them).'
        )
      )
    );
  }

  if (r.key) {
    const copy = h(
      'button',
      {
        class: 'jp-Button jp-mod-minimal jp-CythonPin-copyKey',
        title: trans.__('Copy the full key'),
        type: 'button'
      },
      trans.__('Copy key')
    );
    const key = r.key;
    copy.addEventListener('click', () => actions.copyKey(key));
    root.appendChild(
      h(
        'div',
        { class: 'jp-CythonPin-row jp-CythonPin-keyRow' },
        h('span', { class: 'jp-CythonPin-label' }, trans.__('Key')),
        h('code', { class: 'jp-CythonPin-key', title: key }, shortKey(key)),
        copy
      )
    );
  }

  root.appendChild(
    h(
      'div',
      { class: 'jp-CythonPin-row jp-CythonPin-timings' },
      h('span', { class: 'jp-CythonPin-label' }, trans.__('Time')),
      timingsText(r.timings, trans)
    )
  );

  if (r.created_utc) {
    root.appendChild(
      h(
        'div',
        { class: 'jp-CythonPin-row jp-CythonPin-created' },
        h('span', { class: 'jp-CythonPin-label' }, trans.__('Built')),
        formatUtc(r.created_utc)
      )
    );
  }

  const teamAliases = r.team_aliases ?? [];
  const aliases = h(
    'span',
    { class: 'jp-CythonPin-aliases' },
    ...r.aliases.map(a => h('code', { class: 'jp-CythonPin-alias' }, a)),
    ...teamAliases.map(a =>
      h(
        'code',
        {
          class: 'jp-CythonPin-alias jp-mod-team',
          title: trans.__('Team pin: everyone using the team cache sees it')
        },
        trans.__('%1 (team)', a)
      )
    ),
    ...(r.aliases.length || teamAliases.length ? [] : [trans.__('none')])
  );
  const pinRow = h(
    'div',
    { class: 'jp-CythonPin-row jp-CythonPin-aliasRow' },
    h('span', { class: 'jp-CythonPin-label' }, trans.__('Aliases')),
    aliases
  );
  if (r.key && r.status === 'ok') {
    const pinAs = h(
      'button',
      {
        class: 'jp-Button jp-mod-styled jp-mod-accept jp-CythonPin-pinAs',
        title: trans.__('Give this build a name you can import later'),
        type: 'button'
      },
      trans.__('Pin as…')
    );
    // The new alias shows when the helper's pins_changed arrives, as after a rename in the panel.
    pinAs.addEventListener('click', () => void actions.pinAs(r, root));
    pinRow.appendChild(pinAs);
  }
  root.appendChild(pinRow);
  if (teamAliases.length) {
    root.appendChild(
      h(
        'div',
        { class: 'jp-CythonPin-row jp-CythonPin-teamShared' },
        h('span', { class: 'jp-CythonPin-label' }, trans.__('Team cache')),
        r.team_signer
          ? trans.__(
              'shared: uploaded to the team cache, signed by %1',
              r.team_signer
            )
          : trans.__('shared: uploaded to the team cache')
      )
    );
  }

  if (r.names.length) {
    root.appendChild(
      h(
        'div',
        { class: 'jp-CythonPin-row jp-CythonPin-names' },
        h('span', { class: 'jp-CythonPin-label' }, trans.__('Names')),
        r.names.join(', ')
      )
    );
  }

  if (r.error) {
    root.appendChild(
      h(
        'div',
        { class: 'jp-CythonPin-error' },
        `${r.error.type}: ${r.error.message}`
      )
    );
  }

  if (r.diagnostics.length) {
    const list = h('ul', { class: 'jp-CythonPin-diagnostics' });
    for (const d of r.diagnostics) {
      const clickable = d.file === null && d.line > 0;
      const item = h(
        'li',
        {
          class: `jp-CythonPin-diagnostic jp-mod-${d.severity}`,
          'data-line': String(d.line),
          'data-column': String(d.column),
          'data-severity': d.severity,
          title: clickable
            ? trans.__('Go to this line in the cell')
            : undefined,
          role: clickable ? 'button' : undefined,
          tabindex: clickable ? '0' : undefined
        },
        formatDiagnostic(d)
      );
      if (clickable) {
        item.classList.add('jp-mod-clickable');
        item.addEventListener('click', () => actions.gotoDiagnostic(d, root));
        item.addEventListener('keydown', ev => {
          if (ev.key === 'Enter') {
            actions.gotoDiagnostic(d, root);
          }
        });
      }
      list.appendChild(item);
    }
    root.appendChild(list);
  }

  if (r.annotation) {
    root.appendChild(
      renderAnnotation(r.annotation, actions.showAnnotation(), trans)
    );
  }
  if (r.log !== undefined) {
    root.appendChild(
      h(
        'details',
        { class: 'jp-CythonPin-log' },
        h('summary', {}, trans.__('Build log (command lines and output)')),
        h('pre', {}, r.log)
      )
    );
  }
  return root;
}

/** Shown when the bundle does not match the protocol. */
export function renderInvalid(
  error: string,
  trans: TranslationBundle = NULL_TRANS
): HTMLElement {
  return h(
    'div',
    { class: 'jp-CythonPin-result jp-mod-invalid', 'data-status': 'invalid' },
    trans.__(
      'Unreadable cython_pin build result (%1). The helper and the extension may be different versions.',
      error
    )
  );
}
