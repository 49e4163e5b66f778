import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { TranslationBundle } from '@jupyterlab/translation';
import type { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import {
  BUILD_MIME_TYPE,
  decodeBuildResult,
  IBuildResult,
  PinsChangedEvent
} from '../protocol';
import { NULL_TRANS } from '../translation';
import { IBuildResultActions, renderBuildResult, renderInvalid } from './view';

/** A helper's pins after a change (pins_changed): every personal pin of that cache. */
export type PinsChange = PinsChangedEvent['data'];

/** The aliases `pins` gives `key`, in the registry's order. */
export function aliasesFor(pins: PinsChange['pins'], key: string): string[] {
  return Object.keys(pins).filter(alias => pins[alias] === key);
}

/**
 * Lumino widget rendering `application/vnd.cython-pin.build+json`. One rule
 * keeps its aliases true, whoever changed the pins ("Pin as…", a rename or
 * unpin in the panel, user code): each pins_changed of the result's cache
 * re-reads the aliases of its key.
 */
export class BuildResultRenderer
  extends Widget
  implements IRenderMime.IRenderer
{
  constructor(
    options: IRenderMime.IRendererOptions,
    private readonly _actions: IBuildResultActions,
    private readonly _trans: TranslationBundle = NULL_TRANS,
    private readonly _pinsChanged: ISignal<unknown, PinsChange> | null = null
  ) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('jp-CythonPin-renderer');
    this._pinsChanged?.connect(this._onPins, this);
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const decoded = decodeBuildResult(model.data[this._mimeType]);
    this._result = decoded.ok ? decoded.value : null;
    if (decoded.ok) {
      this._draw(decoded.value);
    } else {
      this.node.textContent = '';
      this.node.appendChild(renderInvalid(decoded.error, this._trans));
    }
    return Promise.resolve();
  }

  dispose(): void {
    this._pinsChanged?.disconnect(this._onPins, this);
    super.dispose();
  }

  private _draw(result: IBuildResult): void {
    this.node.textContent = '';
    this.node.appendChild(
      renderBuildResult(result, this._actions, this._trans)
    );
  }

  private _onPins(_: unknown, change: PinsChange): void {
    const r = this._result;
    if (!r?.key || r.status !== 'ok' || r.cache_dir !== change.cache_dir) {
      return;
    }
    const aliases = aliasesFor(change.pins, r.key);
    if (aliases.join('\n') !== r.aliases.join('\n')) {
      this._result = { ...r, aliases };
      this._draw(this._result);
    }
  }

  private _mimeType: string;
  private _result: IBuildResult | null = null;
}

export function createRendererFactory(
  actions: IBuildResultActions,
  trans: TranslationBundle = NULL_TRANS,
  pinsChanged: ISignal<unknown, PinsChange> | null = null
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [BUILD_MIME_TYPE],
    defaultRank: 0,
    createRenderer: options =>
      new BuildResultRenderer(options, actions, trans, pinsChanged)
  };
}
