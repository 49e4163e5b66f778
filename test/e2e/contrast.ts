/**
 * WCAG contrast of the text the page shows, from computed styles: for every visible element with its own
 * text under the given roots, the text colour composited over the backgrounds beneath it.
 */
import { Page } from '@playwright/test';

export interface ILowContrast {
  text: string;
  cls: string;
  color: string;
  background: string;
  ratio: number;
  needed: number;
}

/** Elements under `selectors` whose text contrast is below WCAG AA (4.5:1, 3:1 for large text). */
export async function lowContrast(
  page: Page,
  selectors: string[]
): Promise<{ checked: number; failures: ILowContrast[] }> {
  return page.evaluate((sels: string[]) => {
    type RGBA = [number, number, number, number];
    const parse = (c: string): RGBA | null => {
      let m = c.match(/^rgba?\(([^)]+)\)$/);
      if (m) {
        const p = m[1]
          .split(/[,\s/]+/)
          .filter(Boolean)
          .map(Number);
        return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
      }
      m = c.match(/^color\(srgb ([^)]+)\)$/);
      if (m) {
        const p = m[1]
          .split(/[\s/]+/)
          .filter(Boolean)
          .map(Number);
        return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1];
      }
      return null;
    };
    const over = (top: RGBA, under: RGBA): RGBA => {
      const a = top[3];
      return [
        top[0] * a + under[0] * (1 - a),
        top[1] * a + under[1] * (1 - a),
        top[2] * a + under[2] * (1 - a),
        1
      ];
    };
    const lum = (c: RGBA) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
      };
      return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
    };
    const background = (el: Element): RGBA => {
      const layers: RGBA[] = [];
      for (let e: Element | null = el; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg && bg[3] > 0) {
          layers.push(bg);
          if (bg[3] >= 1) {
            break;
          }
        }
      }
      let c: RGBA = [255, 255, 255, 1];
      for (const layer of layers.reverse()) {
        c = over(layer, c);
      }
      return c;
    };
    const failures: ILowContrast[] = [];
    let checked = 0;
    const seen = new Set<Element>();
    for (const sel of sels) {
      for (const root of Array.from(document.querySelectorAll(sel))) {
        for (const el of [root, ...Array.from(root.querySelectorAll('*'))]) {
          if (seen.has(el)) {
            continue;
          }
          seen.add(el);
          const own = Array.from(el.childNodes)
            .filter(n => n.nodeType === Node.TEXT_NODE)
            .map(n => n.textContent ?? '')
            .join('')
            .trim();
          const rect = el.getBoundingClientRect();
          const style = getComputedStyle(el);
          if (
            !own ||
            !rect.width ||
            !rect.height ||
            style.visibility === 'hidden' ||
            (el as HTMLButtonElement).disabled
          ) {
            continue;
          }
          const fg = parse(style.color);
          if (!fg) {
            continue;
          }
          const bg = background(el);
          const text = over(fg, bg);
          const [hi, lo] = [lum(text), lum(bg)].sort((a, b) => b - a);
          const ratio = (hi + 0.05) / (lo + 0.05);
          const size = parseFloat(style.fontSize);
          const bold = Number(style.fontWeight) >= 700;
          const large = size >= 24 || (bold && size >= 18.66);
          const needed = large ? 3 : 4.5;
          checked++;
          if (ratio < needed) {
            failures.push({
              text: own.slice(0, 40),
              cls: (el.getAttribute('class') ?? el.tagName).slice(0, 80),
              color: style.color,
              background: `rgb(${bg
                .slice(0, 3)
                .map(v => Math.round(v))
                .join(',')})`,
              ratio: Math.round(ratio * 100) / 100,
              needed
            });
          }
        }
      }
    }
    return { checked, failures };
  }, selectors);
}
