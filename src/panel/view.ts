import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import { NULL_TRANS } from '../translation';
import { h, icon, renderInto, VirtualElement } from '../ui/vdom';
import { readGcInputs, renderCacheSection } from './cacheSection';
import { ButtonFactory, IPanelHost } from './host';
import { PinManagerModel } from './model';
import { renderPinTable } from './pinTable';
import { renderTeamSection } from './teamSection';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The pin manager side panel. Renders the model by diffing (ui/vdom): a kernel busy/idle signal or a
 * filter keystroke patches what changed, and unchanged rows, the filter input (focus, caret) and the
 * clean-up form's typed values keep their DOM nodes. Actions go through host.
 */
export class PinManagerPanel extends Widget {
  constructor(
    readonly model: PinManagerModel,
    private readonly _host: IPanelHost,
    private readonly _trans: TranslationBundle = NULL_TRANS
  ) {
    super();
    this.addClass('jp-CythonPin-panel');
    this.title.caption = _trans.__('Cython pins');
    this._body = document.createElement('div');
    this._body.className = 'jp-CythonPin-panelBody';
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
    const trans = this._trans;
    const host = this._host;
    const button = this._button;
    // Every top-level part has a key (the sections and lists: their class): one appearing or going (queued,
    // error) never re-creates the others.
    const parts: VirtualElement[] = [
      h(
        'div',
        { class: 'jp-CythonPin-panelHeader', key: 'header' },
        h('h2', { class: 'jp-CythonPin-panelTitle' }, trans.__('Cython pins')),
        button(
          'jp-CythonPin-refresh',
          trans.__('Refresh'),
          trans.__('Re-read pins and cache'),
          () => m.refresh(),
          { icon: refreshIcon }
        )
      ),
      h(
        'div',
        {
          class: 'jp-CythonPin-connection',
          key: 'connection',
          'data-connected': m.connected ? 'true' : 'false',
          title: m.connectionText
        },
        m.connectionText
      )
    ];
    if (m.queued) {
      parts.push(
        h(
          'div',
          { class: 'jp-CythonPin-queued', key: 'status' },
          trans.__(
            'Queued: the kernel is busy running a cell; this request runs when it finishes.'
          )
        )
      );
    } else if (m.loading) {
      parts.push(
        h(
          'div',
          { class: 'jp-CythonPin-loading', key: 'status' },
          trans.__('Loading…')
        )
      );
    }
    if (m.error) {
      parts.push(
        h('div', { class: 'jp-CythonPin-panelError', key: 'error' }, m.error)
      );
    }
    parts.push(
      h('input', {
        class: 'jp-CythonPin-filter jp-mod-styled',
        key: 'filter',
        type: 'search',
        placeholder: trans.__('Filter pins'),
        'aria-label': trans.__('Filter pins'),
        oninput: event => m.setFilter((event.target as HTMLInputElement).value)
      }),
      renderPinTable(m, host, button, trans),
      renderTeamSection(m, host, button, trans),
      renderCacheSection(m, host, button, () => readGcInputs(this._body), trans)
    );
    renderInto(this._body, parts);
  }

  private _button: ButtonFactory = (cls, text, title, onClick, look = {}) => {
    const classes = look.icon
      ? `jp-ToolbarButtonComponent jp-Button jp-mod-minimal jp-CythonPin-action jp-CythonPin-iconAction ${cls}`
      : `jp-Button jp-mod-styled jp-mod-reject jp-CythonPin-action ${cls}`;
    return h(
      'button',
      {
        class: look.danger ? `${classes} jp-mod-danger` : classes,
        type: 'button',
        title,
        'aria-label': look.icon ? text : undefined,
        disabled: this.model.connected ? undefined : '',
        onclick: () => {
          void (async () => {
            try {
              await onClick();
            } catch (e) {
              this._host.notify('error', errorText(e));
            }
          })();
        }
      },
      ...(look.icon
        ? [
            icon(look.icon, 'jp-ToolbarButtonComponent-icon'),
            // Shown beside the icon when the panel has room for it (base.css: a container query).
            h('span', { class: 'jp-CythonPin-actionLabel' }, text)
          ]
        : [text])
    );
  };

  private _body: HTMLElement;
}
