import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { BUILD_MIME_TYPE, decodeBuildResult } from '../protocol';
import { NULL_TRANS } from '../translation';
import { IBuildResultActions, renderBuildResult, renderInvalid } from './view';

/** Lumino widget rendering `application/vnd.cython-pin.build+json`. */
export class BuildResultRenderer
  extends Widget
  implements IRenderMime.IRenderer
{
  constructor(
    options: IRenderMime.IRendererOptions,
    private readonly _actions: IBuildResultActions,
    private readonly _trans: TranslationBundle = NULL_TRANS
  ) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('jp-CythonPin-renderer');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const decoded = decodeBuildResult(model.data[this._mimeType]);
    this.node.textContent = '';
    this.node.appendChild(
      decoded.ok
        ? renderBuildResult(decoded.value, this._actions, this._trans)
        : renderInvalid(decoded.error, this._trans)
    );
    return Promise.resolve();
  }

  private _mimeType: string;
}

export function createRendererFactory(
  actions: IBuildResultActions,
  trans: TranslationBundle = NULL_TRANS
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [BUILD_MIME_TYPE],
    defaultRank: 0,
    createRenderer: options => new BuildResultRenderer(options, actions, trans)
  };
}
