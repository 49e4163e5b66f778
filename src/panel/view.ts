import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import { NULL_TRANS } from '../translation';
import { h } from '../ui/dom';
import { createGcInputs, IGcInputs, renderCacheSection } from './cacheSection';
import { ButtonFactory, IPanelHost } from './host';
import { PinManagerModel } from './model';
import { renderPinTable } from './pinTable';
import { renderTeamSection } from './teamSection';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The pin manager side panel. Renders the model; actions go through host. */
export class PinManagerPanel extends Widget {
  constructor(
    readonly model: PinManagerModel,
    private readonly _host: IPanelHost,
    private readonly _trans: TranslationBundle = NULL_TRANS
  ) {
    super();
    const trans = this._trans;
    this.addClass('jp-CythonPin-panel');
    this.title.caption = trans.__('Cython pins');
    this._filterInput = h('input', {
      class: 'jp-CythonPin-filter jp-mod-styled',
      type: 'search',
      placeholder: trans.__('Filter pins'),
      'aria-label': trans.__('Filter pins')
    });
    this._filterInput.addEventListener('input', () =>
      this.model.setFilter(this._filterInput.value)
    );
    this._gcInputs = createGcInputs(trans);
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
    const trans = this._trans;
    const focused = document.activeElement;
    this._body.textContent = '';
    const refresh = this._button(
      'jp-CythonPin-refresh',
      trans.__('Refresh'),
      trans.__('Re-read pins and cache'),
      () => m.refresh(),
      { icon: refreshIcon }
    );
    this._body.appendChild(
      h(
        'div',
        { class: 'jp-CythonPin-panelHeader' },
        h('h2', { class: 'jp-CythonPin-panelTitle' }, trans.__('Cython pins')),
        refresh
      )
    );
    this._body.appendChild(
      h(
        'div',
        {
          class: 'jp-CythonPin-connection',
          'data-connected': m.connected ? 'true' : 'false',
          title: m.connectionText
        },
        m.connectionText
      )
    );
    if (m.queued) {
      this._body.appendChild(
        h(
          'div',
          { class: 'jp-CythonPin-queued' },
          trans.__(
            'Queued: the kernel is busy running a cell; this request runs when it finishes.'
          )
        )
      );
    } else if (m.loading) {
      this._body.appendChild(
        h('div', { class: 'jp-CythonPin-loading' }, trans.__('Loading…'))
      );
    }
    if (m.error) {
      this._body.appendChild(
        h('div', { class: 'jp-CythonPin-panelError' }, m.error)
      );
    }
    this._body.appendChild(this._filterInput);
    this._body.appendChild(renderPinTable(m, this._host, this._button, trans));
    this._body.appendChild(
      renderTeamSection(m, this._host, this._button, trans)
    );
    this._body.appendChild(
      renderCacheSection(m, this._host, this._button, this._gcInputs, trans)
    );
    if (focused instanceof HTMLElement && this.node.contains(focused)) {
      focused.focus();
    }
  }

  private _button: ButtonFactory = (cls, text, title, onClick, look = {}) => {
    const b = look.icon
      ? h(
          'button',
          {
            class: `jp-ToolbarButtonComponent jp-Button jp-mod-minimal jp-CythonPin-action jp-CythonPin-iconAction ${cls}`,
            type: 'button',
            title,
            'aria-label': text
          },
          look.icon.element({
            tag: 'span',
            className: 'jp-ToolbarButtonComponent-icon',
            elementPosition: 'center'
          })
        )
      : h(
          'button',
          {
            class: `jp-Button jp-mod-styled jp-mod-reject jp-CythonPin-action ${cls}`,
            type: 'button',
            title
          },
          text
        );
    if (look.danger) {
      b.classList.add('jp-mod-danger');
    }
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
  };

  private _body: HTMLElement;
  private _filterInput: HTMLInputElement;
  private _gcInputs: IGcInputs;
}
