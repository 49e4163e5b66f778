import { EditorSelection, EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { CodeEditor } from '@jupyterlab/codeeditor';
import {
  CodeMirrorEditor,
  EditorExtensionRegistry
} from '@jupyterlab/codemirror';
import { CommandRegistry } from '@lumino/commands';
import { addShowLineCCommand } from '../../src/heat/command';
import {
  HEAT_OPTION,
  registerHeatGutter
} from '../../src/heat/editorExtension';
import {
  heatExtension,
  heatField,
  setHeat,
  shownLine
} from '../../src/heat/gutter';
import { annotationMatches, heatShade } from '../../src/heat/lines';
import { decodeEvent, IAnnotation } from '../../src/protocol';
import { CommandIDs } from '../../src/tokens';
import { NULL_TRANS } from '../../src/translation';

const CELL = [
  '%%cython_pin -a',
  'def f(x):',
  '    return x + 1',
  '',
  'cdef int g(int a):',
  '    return a * 2'
].join('\n');

/** What Cython's annotation says of CELL (cell lines: the magic line is 1). */
const ANNOTATION: IAnnotation = {
  max_score: 8,
  lines: [
    {
      line: 2,
      score: 8,
      source: 'def f(x):',
      c_code: 'static PyObject *__pyx_pw_f(PyObject *x)'
    },
    {
      line: 3,
      score: 4,
      source: '    return x + 1',
      c_code: '__pyx_t_1 = __Pyx_PyInt_AddObjC(__pyx_v_x, __pyx_int_1);'
    },
    { line: 4, score: 0, source: '', c_code: '' },
    {
      line: 5,
      score: 0,
      source: 'cdef int g(int a):',
      c_code: 'static int __pyx_f_g(int __pyx_v_a) {'
    },
    {
      line: 6,
      score: 0,
      source: '    return a * 2',
      c_code: '__pyx_r = (__pyx_v_a * 2);'
    }
  ]
};

function editor(doc = CELL): EditorView {
  const parent = document.createElement('div');
  document.body.appendChild(parent);
  return new EditorView({
    state: EditorState.create({ doc, extensions: heatExtension(NULL_TRANS) }),
    parent
  });
}

/** The lines that carry a heat mark, with the mark's shade. */
function marks(view: EditorView): { line: number; shade: string }[] {
  const out: { line: number; shade: string }[] = [];
  const cursor = view.state.field(heatField).markers.iter();
  for (; cursor.value; cursor.next()) {
    out.push({
      line: view.state.doc.lineAt(cursor.from).number,
      shade: (cursor.value as unknown as { shade: string }).shade
    });
  }
  return out;
}

function annotate(view: EditorView, source = view.state.doc.toString()) {
  view.dispatch({ effects: setHeat.of({ source, annotation: ANNOTATION }) });
}

function cursorTo(view: EditorView, line: number) {
  view.dispatch({
    selection: EditorSelection.cursor(view.state.doc.line(line).from + 2)
  });
}

describe('the heat gutter', () => {
  it('marks each line that talks to Python, deeper for more; pure-C lines get none', () => {
    const view = editor();
    annotate(view);
    expect(marks(view)).toEqual([
      { line: 2, shade: 'hsl(50, 100%, 58%)' },
      { line: 3, shade: 'hsl(50, 100%, 73%)' }
    ]);
    const dom = [
      ...view.dom.querySelectorAll<HTMLElement>('.jp-CythonPin-heatMark')
    ];
    // the same colours, as the DOM reports them
    expect(dom.map(m => m.style.background)).toEqual([
      'rgb(255, 219, 41)',
      'rgb(255, 232, 117)'
    ]);
    expect(view.dom.querySelector('.jp-CythonPin-heatGutter')).not.toBeNull();
    view.destroy();
  });

  it('drops the marks on the first edit, and gives them back when the text is the annotated one again', () => {
    const view = editor();
    annotate(view);
    const end = view.state.doc.length;
    view.dispatch({ changes: { from: end, insert: '\n    b = a' } });
    expect(marks(view)).toEqual([]);
    expect(view.dom.querySelector('.jp-CythonPin-heatMark')).toBeNull();
    view.dispatch({ changes: { from: end, to: view.state.doc.length } }); // as undo would
    expect(marks(view).map(m => m.line)).toEqual([2, 3]);
    view.destroy();
  });

  it('shows an annotation only on the exact text it describes', () => {
    const view = editor();
    annotate(view, CELL.replace('x + 1', 'x + 2'));
    expect(marks(view)).toEqual([]);
    view.dispatch({
      changes: {
        from: 0,
        to: view.state.doc.length,
        insert: CELL.replace('x + 1', 'x + 2')
      }
    });
    expect(marks(view).map(m => m.line)).toEqual([2, 3]); // remembered for that text

    expect(annotationMatches(ANNOTATION, CELL)).toBe(true);
    expect(annotationMatches(ANNOTATION, `${CELL}\n\n`)).toBe(true);
    expect(annotationMatches(ANNOTATION, CELL.replace('x + 1', 'x + 2'))).toBe(
      false
    );
    expect(annotationMatches(ANNOTATION, `${CELL}\nh = 1`)).toBe(false);
    expect(
      annotationMatches(ANNOTATION, CELL.split('\n').slice(0, 3).join('\n'))
    ).toBe(false);
    expect(annotationMatches({ max_score: 0, lines: [] }, CELL)).toBe(false);
    view.destroy();
  });

  it('uses the shading of the HTML view: opaque yellow from pale to deep, none for pure C', () => {
    expect(heatShade(0, 10)).toBeNull();
    expect(heatShade(1, 10)).toBe('hsl(50, 100%, 85%)');
    expect(heatShade(10, 10)).toBe('hsl(50, 100%, 58%)');
    expect(heatShade(3, 0)).toBe('hsl(50, 100%, 58%)');
  });
});

describe('Show C for this line', () => {
  function withCommand() {
    const view = editor();
    const commands = new CommandRegistry();
    addShowLineCCommand(commands, () => view, NULL_TRANS);
    return { view, commands };
  }

  it('opens the C and the score of the cursor line', async () => {
    const { view, commands } = withCommand();
    expect(commands.label(CommandIDs.showLineC)).toBe('Show C for this line');
    expect(commands.isEnabled(CommandIDs.showLineC)).toBe(false); // no annotation yet
    annotate(view);
    expect(commands.isEnabled(CommandIDs.showLineC)).toBe(true);

    cursorTo(view, 3);
    expect(await commands.execute(CommandIDs.showLineC)).toBe(true);
    expect(shownLine(view.state)).toMatchObject({ line: 3, score: 4 });
    const tip = view.dom.querySelector('.jp-CythonPin-heatTooltip');
    expect(tip?.textContent).toContain('Line 3');
    expect(tip?.textContent).toContain('score 4');
    expect(tip?.querySelector('pre')?.textContent).toBe(
      '__pyx_t_1 = __Pyx_PyInt_AddObjC(__pyx_v_x, __pyx_int_1);'
    );

    cursorTo(view, 6); // moving on closes it; the command opens the new line's
    expect(shownLine(view.state)).toBeNull();
    await commands.execute(CommandIDs.showLineC);
    expect(shownLine(view.state)).toMatchObject({ line: 6, score: 0 });
    expect(
      view.dom.querySelector('.jp-CythonPin-heatTooltip pre')?.textContent
    ).toBe('__pyx_r = (__pyx_v_a * 2);');
    view.destroy();
  });

  it('has nothing to show on the magic line, and closes on an edit', async () => {
    const { view, commands } = withCommand();
    annotate(view);
    cursorTo(view, 1);
    expect(await commands.execute(CommandIDs.showLineC)).toBe(false);
    expect(shownLine(view.state)).toBeNull();
    cursorTo(view, 2);
    await commands.execute(CommandIDs.showLineC);
    expect(shownLine(view.state)?.line).toBe(2);
    view.dispatch({ changes: { from: view.state.doc.length, insert: ' ' } });
    expect(shownLine(view.state)).toBeNull();
    expect(view.dom.querySelector('.jp-CythonPin-heatTooltip')).toBeNull();
    expect(commands.isEnabled(CommandIDs.showLineC)).toBe(false);
    view.destroy();
  });
});

describe('the heat gutter in JupyterLab editors', () => {
  it('is registered through the editor extension registry, off until an annotation arrives', () => {
    const registry = new EditorExtensionRegistry();
    registerHeatGutter(registry, NULL_TRANS);
    const host = document.createElement('div');
    document.body.appendChild(host);
    const model = new CodeEditor.Model();
    model.sharedModel.setSource(CELL);
    const editor = new CodeMirrorEditor({
      host,
      model,
      extensionsRegistry: registry
    });
    expect(editor.getOption(HEAT_OPTION)).toBe(false);
    expect(editor.editor.state.field(heatField, false)).toBeUndefined();

    editor.setOption(HEAT_OPTION, true);
    annotate(editor.editor);
    expect(marks(editor.editor).map(m => m.line)).toEqual([2, 3]);
    editor.setOption(HEAT_OPTION, true); // turning it on again keeps what it knows
    expect(marks(editor.editor).map(m => m.line)).toEqual([2, 3]);
    editor.dispose();
  });
});

describe('the prebuild_state annotation', () => {
  const event = (annotation: unknown) => ({
    type: 'event',
    event: 'prebuild_state',
    data: {
      cell_id: 'c',
      generation: 2,
      key: 'k'.repeat(64),
      stage: 'done',
      diagnostics: [],
      elapsed_s: 0.5,
      ...(annotation === undefined ? {} : { annotation })
    }
  });

  it('is decoded when present, absent when not asked for, refused when malformed', () => {
    const with_ = decodeEvent(event(ANNOTATION));
    expect(
      with_.ok &&
        with_.value.event === 'prebuild_state' &&
        with_.value.data.annotation
    ).toEqual(ANNOTATION);
    const without = decodeEvent(event(undefined));
    expect(
      without.ok &&
        without.value.event === 'prebuild_state' &&
        'annotation' in without.value.data
    ).toBe(false);
    const bad = decodeEvent(
      event({
        max_score: 1,
        lines: [{ line: 2, score: 'high', source: '', c_code: '' }]
      })
    );
    expect(bad.ok ? null : bad.error).toContain(
      'data.annotation.lines[0].score'
    );
  });
});
