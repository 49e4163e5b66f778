import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { BUILD_MIME_TYPE, decodeBuildResult } from '../protocol';
import { IBuildResultActions, renderBuildResult, renderInvalid } from './view';

/** Lumino widget rendering `application/vnd.cython-pin.build+json`. */
export class BuildResultRenderer
  extends Widget
  implements IRenderMime.IRenderer
{
  constructor(
    options: IRenderMime.IRendererOptions,
    private readonly _actions: IBuildResultActions
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
        ? renderBuildResult(decoded.value, this._actions)
        : renderInvalid(decoded.error)
    );
    return Promise.resolve();
  }

  private _mimeType: string;
}

export function createRendererFactory(
  actions: IBuildResultActions
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [BUILD_MIME_TYPE],
    defaultRank: 0,
    createRenderer: options => new BuildResultRenderer(options, actions)
  };
}
