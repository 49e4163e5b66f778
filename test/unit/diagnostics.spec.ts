import { forEachDiagnostic } from '@codemirror/lint';
import { EditorState, Text } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { CodeEditor } from '@jupyterlab/codeeditor';
import {
  CodeMirrorEditor,
  EditorExtensionRegistry
} from '@jupyterlab/codemirror';
import {
  DIAGNOSTICS_OPTION,
  registerDiagnosticsGutter
} from '../../src/diagnostics/editorExtension';
import {
  diagnosticsExtension,
  showDiagnostics
} from '../../src/diagnostics/markers';
import { toEditorDiagnostics } from '../../src/diagnostics/mapping';
import { IDiagnostic } from '../../src/protocol';
import { buildResult } from './helpers/vectors';

const CELL = [
  '%%cython_pin',
  'def f(int x):',
  '    return y + x',
  '',
  'cdef int z = 1'
].join('\n');

function diag(partial: Partial<IDiagnostic>): IDiagnostic {
  return {
    line: 1,
    column: 0,
    severity: 'error',
    message: 'm',
    source: 'cython',
    file: null,
    ...partial
  };
}

function markers(view: EditorView) {
  const out: {
    text: string;
    severity: string;
    message: string;
    line: number;
  }[] = [];
  forEachDiagnostic(view.state, (d, from, to) =>
    out.push({
      text: view.state.sliceDoc(from, to),
      severity: d.severity,
      message: d.message,
      line: view.state.doc.lineAt(from).number
    })
  );
  return out;
}

describe('diagnostics mapping (cell line numbers, magic line = 1)', () => {
  const doc = Text.of(CELL.split('\n'));

  it('puts the failing build diagnostic on the right cell line and word', () => {
    const r = buildResult('build result error'); // line 3, column 12
    const [d] = toEditorDiagnostics(r.diagnostics, doc);
    const line3 = doc.line(3);
    expect(line3.text).toBe('    return y + x');
    expect(doc.sliceString(d.from, d.to)).toBe('y');
    expect(d).toMatchObject({
      severity: 'error',
      message: 'undeclared name not builtin: y',
      source: 'cython_pin (cython)'
    });
  });

  it('marks the whole line when the column is unknown and maps note to info', () => {
    const [d] = toEditorDiagnostics(
      [diag({ line: 2, column: 0, severity: 'note' })],
      doc
    );
    expect(doc.sliceString(d.from, d.to)).toBe('def f(int x):');
    expect(d.severity).toBe('info');
  });

  it('skips diagnostics about other files or unknown lines, clamps past the end', () => {
    const out = toEditorDiagnostics(
      [
        diag({ line: 4, file: 'mod.c' }),
        diag({ line: 0 }),
        diag({ line: 99, column: 0, message: 'late' })
      ],
      doc
    );
    expect(out).toHaveLength(1);
    expect(doc.sliceString(out[0].from, out[0].to)).toBe('cdef int z = 1');
  });

  it('keeps a marker visible on an empty line', () => {
    const [d] = toEditorDiagnostics([diag({ line: 4, column: 1 })], doc);
    expect(d.from).toBe(doc.line(4).from);
    expect(d.to).toBe(d.from);
  });
});

describe('lint markers in a CodeMirror 6 editor', () => {
  function editor(): EditorView {
    const parent = document.createElement('div');
    document.body.appendChild(parent);
    return new EditorView({
      state: EditorState.create({
        doc: CELL,
        extensions: diagnosticsExtension
      }),
      parent
    });
  }

  it('shows markers on the right lines and clears them', () => {
    const view = editor();
    showDiagnostics(view, buildResult('build result error').diagnostics);
    expect(markers(view)).toEqual([
      {
        text: 'y',
        severity: 'error',
        message: 'undeclared name not builtin: y',
        line: 3
      }
    ]);
    expect(view.dom.querySelector('.cm-lintRange-error')?.textContent).toBe(
      'y'
    );
    expect(view.dom.querySelector('.cm-gutter-lint')).not.toBeNull();

    showDiagnostics(view, []);
    expect(markers(view)).toEqual([]);
    expect(view.dom.querySelector('.cm-lintRange-error')).toBeNull();
    view.destroy();
  });

  it('a clean rebuild replaces old markers with none', () => {
    const view = editor();
    showDiagnostics(view, [diag({ line: 2, column: 5, message: 'old' })]);
    expect(markers(view).map(m => m.message)).toEqual(['old']);
    showDiagnostics(view, buildResult('build result ok').diagnostics);
    expect(markers(view)).toEqual([]);
    view.destroy();
  });
});

describe('editing the cell', () => {
  it('clears the markers on the first edit', () => {
    const parent = document.createElement('div');
    const view = new EditorView({
      state: EditorState.create({
        doc: CELL,
        extensions: diagnosticsExtension
      }),
      parent
    });
    showDiagnostics(view, buildResult('build result error').diagnostics);
    expect(markers(view)).toHaveLength(1);
    view.dispatch({ changes: { from: view.state.doc.length, insert: '\n' } });
    expect(markers(view)).toEqual([]);
    expect(view.dom.querySelector('.cm-lintRange-error')).toBeNull();
    view.destroy();
  });
});

describe('the diagnostics gutter in JupyterLab editors', () => {
  function cellEditor(): CodeMirrorEditor {
    const registry = new EditorExtensionRegistry();
    registerDiagnosticsGutter(registry);
    const host = document.createElement('div');
    document.body.appendChild(host);
    const model = new CodeEditor.Model();
    model.sharedModel.setSource(CELL);
    return new CodeMirrorEditor({ host, model, extensionsRegistry: registry });
  }

  it('is registered through the editor extension registry, off until a build has markers', () => {
    const editor = cellEditor();
    const view = editor.editor;
    expect(editor.getOption(DIAGNOSTICS_OPTION)).toBe(false);
    expect(view.dom.querySelector('.cm-gutter-lint')).toBeNull();

    editor.setOption(DIAGNOSTICS_OPTION, true);
    showDiagnostics(view, buildResult('build result error').diagnostics);
    expect(view.dom.querySelector('.cm-gutter-lint')).not.toBeNull();
    expect(view.dom.querySelector('.cm-lint-marker-error')).not.toBeNull();
    expect(markers(view).map(m => m.line)).toEqual([3]);

    // The clear-on-edit rule comes with the registered extension.
    view.dispatch({ changes: { from: view.state.doc.length, insert: '\n' } });
    expect(markers(view)).toEqual([]);
    editor.dispose();
  });
});
