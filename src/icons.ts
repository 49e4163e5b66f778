import { LabIcon } from '@jupyterlab/ui-components';

const compileSvg =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" d="M8 5v14l11-7z M3 4h2v16H3z"/></svg>';

const pinSvg =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" d="M16 3l5 5-2 1-3.5 3.5.5 4.5-1.5 1.5-4-4L5 20l-1-1 5.5-5.5-4-4L7 8l4.5.5L15 5z"/></svg>';

export const compileIcon = new LabIcon({
  name: 'jupyterlab-cython-pin:compile',
  svgstr: compileSvg
});

export const pinIcon = new LabIcon({
  name: 'jupyterlab-cython-pin:pin',
  svgstr: pinSvg
});
