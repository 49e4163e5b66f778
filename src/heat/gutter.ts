import {
  EditorState,
  Extension,
  Prec,
  RangeSet,
  RangeSetBuilder,
  StateEffect,
  StateField
} from '@codemirror/state';
import {
  EditorView,
  gutter,
  GutterMarker,
  keymap,
  showTooltip,
  Tooltip
} from '@codemirror/view';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { IAnnotation, IAnnotationLine } from '../protocol';
import { h } from '../ui/dom';
import { annotatedLine, heatShade, TEXT_ON_SHADE } from './lines';

/** An annotation and the exact cell text it describes. */
export interface IHeat {
  source: string;
  annotation: IAnnotation;
}

/** How many annotated texts an editor remembers (undo brings their marks back). */
const REMEMBERED = 4;

interface IHeatState {
  /** Annotations of this editor's recent texts, newest first. */
  known: readonly IHeat[];
  /** The one that describes the current text, if any. */
  current: IHeat | null;
  /** The line (1-based) whose C is shown, if any. */
  shown: number | null;
  markers: RangeSet<GutterMarker>;
}

/** Remember an annotation; it is drawn when (and while) the text is its source. */
export const setHeat = StateEffect.define<IHeat>();
/** Show the C of a line (null hides it). */
export const showLineC = StateEffect.define<number | null>();

class HeatMarker extends GutterMarker {
  constructor(
    readonly shade: string,
    readonly score: number
  ) {
    super();
  }
  eq(other: GutterMarker): boolean {
    return (
      other instanceof HeatMarker &&
      other.shade === this.shade &&
      other.score === this.score
    );
  }
  toDOM(): Node {
    const el = h('div', { class: 'jp-CythonPin-heatMark' });
    el.style.background = this.shade;
    return el;
  }
}

function markersOf(
  heat: IHeat | null,
  state: EditorState
): RangeSet<GutterMarker> {
  const builder = new RangeSetBuilder<GutterMarker>();
  if (heat) {
    const { lines, max_score } = heat.annotation;
    for (const l of [...lines].sort((a, b) => a.line - b.line)) {
      const shade = heatShade(l.score, max_score);
      if (shade && l.line <= state.doc.lines) {
        const from = state.doc.line(l.line).from;
        builder.add(from, from, new HeatMarker(shade, l.score));
      }
    }
  }
  return builder.finish();
}

/** The heat of every editor: remembered annotations, the current one, its marks and the open line. */
export const heatField = StateField.define<IHeatState>({
  create: () => ({
    known: [],
    current: null,
    shown: null,
    markers: RangeSet.empty
  }),
  update(value, tr) {
    let { known, shown } = value;
    let remembered = false;
    let asked = false;
    for (const e of tr.effects) {
      if (e.is(setHeat)) {
        known = [
          e.value,
          ...known.filter(k => k.source !== e.value.source)
        ].slice(0, REMEMBERED);
        remembered = true;
      } else if (e.is(showLineC)) {
        shown = e.value;
        asked = true;
      }
    }
    if (!asked && (tr.docChanged || tr.selection)) {
      shown = null; // the C shown was for a line as it was, or where the cursor was
    }
    let { current, markers } = value;
    if (tr.docChanged || remembered) {
      // Edits drop the marks; a text annotated before (e.g. after undo) gets its own back.
      const doc = tr.state.doc;
      const text = known.length ? doc.toString() : '';
      current =
        known.find(k => k.source.length === doc.length && k.source === text) ??
        null;
      markers =
        current || value.current ? markersOf(current, tr.state) : markers;
    }
    if (
      shown !== null &&
      !(current && annotatedLine(current.annotation, shown))
    ) {
      shown = null;
    }
    const same =
      known === value.known &&
      current === value.current &&
      shown === value.shown &&
      markers === value.markers;
    return same ? value : { known, current, shown, markers };
  }
});

/** Whether the editor's current text has an annotation. */
export function hasHeat(state: EditorState): boolean {
  return !!state.field(heatField, false)?.current;
}

/** The annotated line whose C is shown, if any. */
export function shownLine(state: EditorState): IAnnotationLine | null {
  const heat = state.field(heatField, false);
  return heat?.current && heat.shown !== null
    ? annotatedLine(heat.current.annotation, heat.shown)
    : null;
}

/** Show the C of the cursor's line; false when that line has no annotation. */
export function showCursorLineC(view: EditorView): boolean {
  const heat = view.state.field(heatField, false);
  const line = view.state.doc.lineAt(view.state.selection.main.head).number;
  if (!heat?.current || !annotatedLine(heat.current.annotation, line)) {
    return false;
  }
  view.dispatch({ effects: showLineC.of(line) });
  return true;
}

function lineTooltip(
  state: EditorState,
  trans: TranslationBundle
): Tooltip | null {
  const line = shownLine(state);
  if (!line || line.line > state.doc.lines) {
    return null;
  }
  return {
    pos: state.doc.line(line.line).from,
    above: false,
    create: view => {
      const shade = heatShade(
        line.score,
        state.field(heatField).current?.annotation.max_score ?? 0
      );
      const score = h(
        'span',
        { class: 'jp-CythonPin-heatScore' },
        trans.__('score %1', line.score)
      );
      if (shade) {
        score.style.background = shade;
        score.style.color = TEXT_ON_SHADE;
      }
      const dom = h(
        'div',
        { class: 'jp-CythonPin-heatTooltip', role: 'tooltip' },
        h(
          'div',
          { class: 'jp-CythonPin-heatTooltipHeader' },
          trans.__('Line %1', line.line),
          ' ',
          score
        ),
        line.c_code
          ? h('pre', { class: 'jp-CythonPin-heatC' }, line.c_code)
          : h(
              'div',
              { class: 'jp-CythonPin-heatC' },
              trans.__('Cython generated no C of its own for this line.')
            )
      );
      dom.addEventListener('mouseleave', () =>
        view.dispatch({ effects: showLineC.of(null) })
      );
      return { dom };
    }
  };
}

/**
 * The heat gutter of a `%%cython_pin` cell: each annotated line's mark
 * shaded by its score, the line's C and score on hover over its mark (or
 * with the "Show C for this line" command); Escape closes it.
 */
export function heatExtension(trans: TranslationBundle): Extension {
  return [
    heatField,
    gutter({
      class: 'jp-CythonPin-heatGutter',
      markers: view => view.state.field(heatField).markers,
      domEventHandlers: {
        mouseover: (view, block) => {
          const line = view.state.doc.lineAt(block.from).number;
          const heat = view.state.field(heatField);
          if (
            heat.shown !== line &&
            heat.current &&
            annotatedLine(heat.current.annotation, line)
          ) {
            view.dispatch({ effects: showLineC.of(line) });
          }
          return false;
        },
        mouseout: (view, _block, event) => {
          const to = (event as MouseEvent).relatedTarget;
          const intoTooltip =
            to instanceof Element && to.closest('.jp-CythonPin-heatTooltip');
          if (!intoTooltip && view.state.field(heatField).shown !== null) {
            view.dispatch({ effects: showLineC.of(null) });
          }
          return false;
        }
      }
    }),
    showTooltip.compute([heatField], state => lineTooltip(state, trans)),
    Prec.high(
      keymap.of([
        {
          key: 'Escape',
          run: view => {
            if (view.state.field(heatField).shown === null) {
              return false;
            }
            view.dispatch({ effects: showLineC.of(null) });
            return true;
          }
        }
      ])
    )
  ];
}
