/**
 * Views rendered by diffing: the virtual twin of dom.ts's h(), drawn with `@lumino/virtualdom`, which
 * patches the DOM it drew last time instead of rebuilding it (nodes, focus and typed text stay).
 */
import type { LabIcon } from '@jupyterlab/ui-components';
import {
  ElementAttrs,
  h as lh,
  VirtualDOM,
  VirtualElement,
  VirtualNode
} from '@lumino/virtualdom';

export type { VirtualElement } from '@lumino/virtualdom';

export type VChild = VirtualNode | string | null | undefined | false;

/**
 * Attributes as dom.ts takes them ('class', 'data-*', 'aria-*'), plus `key` (keeps a node's identity among
 * its siblings when the list around it changes) and `on*` event handlers. Undefined values are left out.
 */
export type VAttrs = {
  [name: string]: string | undefined | ((event: Event) => void);
};

export function h(
  tag: string,
  attrs: VAttrs = {},
  ...children: VChild[]
): VirtualElement {
  const out: { [name: string]: unknown } = {};
  const dataset: { [name: string]: string } = {};
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) {
      continue;
    }
    if (name === 'class') {
      out.className = value;
    } else if (name.startsWith('data-') && typeof value === 'string') {
      dataset[name.slice(5)] = value;
    } else {
      out[name] = value;
    }
  }
  if (Object.keys(dataset).length) {
    out.dataset = dataset;
  }
  const kids = children.filter(
    (c): c is VirtualNode | string =>
      c !== null && c !== undefined && c !== false
  );
  return lh(tag, out as ElementAttrs, kids);
}

/** A JupyterLab icon in a span of class `className` (drawn once; later renders keep it). */
export function icon(labIcon: LabIcon, className: string): VirtualElement {
  return lh(
    'span',
    { className },
    {
      render: (host: HTMLElement) => {
        labIcon.element({
          container: host,
          className,
          elementPosition: 'center'
        });
      }
    }
  );
}

/** Draw `content` into `host`, patching what the previous call drew there. */
export function renderInto(host: HTMLElement, content: VirtualElement[]): void {
  VirtualDOM.render(content, host);
}
