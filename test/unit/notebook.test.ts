/**
 * The notebook model (core/notebook): IPython syntax masked with offsets intact, cells
 * joined into one program and mapped back, the scanner's ranges, and sources spliced
 * into the file in their own shape and layout.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { AnalysisMemory } from '../../server/src/core/memory';
import { NotebookSources } from '../../server/src/core/notebook/notebookFile';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { parseNotebook } from '../../server/src/core/notebook/ipynb';
import { maskMagics } from '../../server/src/core/notebook/magics';
import { NotebookProgram } from '../../server/src/core/notebook/program';
import { spliceSources, splitSourceLines } from '../../server/src/core/notebook/splice';
import { pythonSupport } from '../support/python';

describe('notebook: IPython syntax masked', () => {
  let python: PythonSupport | undefined;
  before(async () => {
    python = await pythonSupport();
  });

  /** What a masked magic becomes: `0`, then spaces, line breaks kept. */
  const zero = (magic: string) => '0' + magic.slice(1).replace(/[^\r\n]/g, ' ');
  const cases: [string, string, string][] = [
    ['a line magic', '%matplotlib inline\nx = 1', '0                 \nx = 1'],
    ['a shell escape', '!pip install "torch>=2"\nx = 1', `${zero('!pip install "torch>=2"')}\nx = 1`],
    ['the assignment forms', 'files = !ls -la\nt = %timeit -o f()', 'files = 0      \nt = 0             '],
    ['help', 'model?\n??nn.Linear', '0     \n0          '],
    ['a magic inside a block keeps the block a block', 'for i in range(2):\n    !echo "it\'s"\n    x = i', 'for i in range(2):\n    0           \n    x = i'],
    ['a continued magic', '%env A=1 \\\n  B=2\nx = 1', `${zero('%env A=1 \\\n  B=2')}\nx = 1`],
    ['a cell magic whose body is Python: only its line', '%%time\nx = 1', '0     \nx = 1'],
    ['a cell magic whose body is not Python: the whole cell', '%%bash\necho "(unclosed"\n', '%%bash\necho "(unclosed"\n'.replace(/[^\n]/g, ' ')],
  ];
  for (const [what, source, masked] of cases) {
    it(what, () => {
      const result = maskMagics(source);
      assert.equal(result.text, masked);
      assert.equal(result.text.length, source.length);
    });
  }

  it('leaves strings, comments, brackets and percent operators alone', () => {
    const source = 'doc = """\n%not a magic\n!nor this\n"""\n# %comment\ny = (1 +\n  %2)\nz = 5 % 3\n';
    assert.equal(maskMagics(source).text, source);
    assert.deepEqual(maskMagics(source).masked, []);
  });

  it('every masked cell parses as Python', () => {
    for (const [, source] of cases) {
      const findings = analyze({ text: NotebookProgram.build([{ id: 1, text: source }]).text, languageId: 'python', python }).findings;
      assert.deepEqual(findings.filter((f) => f.code === 'IW001').map((f) => f.message), [], source);
    }
  });
});

describe('notebook: cell magics the notebook registers itself', () => {
  // Deep Learning with Python, 3rd edition (Keras 3): each backend's cells start with `%%backend …`.
  const register = [
    'import os',
    'from IPython.core.magic import register_cell_magic',
    '',
    '@register_cell_magic',
    'def backend(line, cell):',
    '    current, required = os.environ.get("KERAS_BACKEND", ""), line.split()[-1]',
    '    if current == required:',
    '        get_ipython().run_cell(cell)',
    '    else:',
    '        print(f"This cell requires the {required} backend.")',
    '',
  ].join('\n');
  const model = [
    '%%backend tensorflow',
    'import keras',
    'from keras import layers',
    'inputs = keras.Input(shape=(784,))',
    'x = layers.Dense(512, activation="relu")(inputs)',
    'outputs = layers.Dense(10, activation="softmax")(x)',
    'model = keras.Model(inputs, outputs)',
    '',
  ].join('\n');
  const build = (...texts: string[]) => NotebookProgram.build(texts.map((text, i) => ({ id: i + 1, text })));
  let python: PythonSupport | undefined;
  before(async () => {
    python = await pythonSupport();
  });
  const codes = (program: NotebookProgram) => analyze({ text: program.text, languageId: 'python', python }).findings.map((f) => f.code);

  it('reads the body of a registered magic that runs its cell as Python: only the magic line is masked', () => {
    const program = build(register, model);
    const cell = program.cells[1]!;
    assert.deepEqual(cell.masked.map((span) => model.slice(span.start, span.end)), ['%%backend tensorflow']);
    assert.ok(codes(program).includes('IW301'), 'the Dense under relu with glorot_uniform is judged');
  });

  it('keeps masking the whole cell where the magic is unregistered, registered later, or does not run its cell', () => {
    const whole = (program: NotebookProgram, index: number) => program.cells[index]!.masked.map((s) => [s.start, s.end]);
    assert.deepEqual(whole(build(model), 0), [[0, model.length]]);
    assert.deepEqual(whole(build(model, register), 0), [[0, model.length]]);
    const printsOnly = register.replace('get_ipython().run_cell(cell)', 'print(cell)');
    assert.deepEqual(whole(build(printsOnly, model), 1), [[0, model.length]]);
    const transforms = register.replace('run_cell(cell)', 'run_cell(cell.replace("tf", "torch"))');
    assert.deepEqual(whole(build(transforms, model), 1), [[0, model.length]]);
    assert.ok(!codes(build(model)).includes('IW301'));
  });

  it('takes the name a registration states and the cache stays right when the registration changes', () => {
    const named = register.replace('@register_cell_magic', '@register_cell_magic("backend")').replace('def backend(', 'def run_for_backend(');
    assert.equal(build(named, model).cells[1]!.masked.length, 1);
    assert.equal(build(named, model).cells[1]!.masked[0]!.end, '%%backend tensorflow'.length);
    const masks = new Map<string, ReturnType<typeof maskMagics>>();
    const first = NotebookProgram.build([{ id: 1, text: register }, { id: 2, text: model }], masks);
    const second = NotebookProgram.build([{ id: 1, text: 'x = 1\n' }, { id: 2, text: model }], masks);
    assert.notDeepEqual(first.cells[1]!.masked, second.cells[1]!.masked);
    assert.deepEqual(second.cells[1]!.masked, [{ start: 0, end: model.length }]);
  });
});

describe('notebook: cells as one program', () => {
  const program = NotebookProgram.build([
    { id: 2, text: 'import torch\n' },
    { id: 3, text: 'x = 1' },
    { id: 5, text: '%time y = 2' },
  ]);

  it('joins the cells with a line break where a cell has none', () => {
    assert.equal(program.text, 'import torch\nx = 1\n0          \n');
    assert.equal(program.sourceText(), 'import torch\nx = 1\n%time y = 2\n');
    assert.deepEqual(program.cells.map((c) => [c.id, c.start]), [[2, 0], [3, 13], [5, 19]]);
  });

  it('maps spans to their cell; an insertion at a shared boundary goes to the earlier cell', () => {
    assert.deepEqual(program.localSpan({ start: 13, end: 14 }), { cell: 1, span: { start: 0, end: 1 } });
    assert.deepEqual(program.localSpan({ start: 13, end: 13 }), { cell: 0, span: { start: 13, end: 13 } });
    assert.deepEqual(program.localSpan({ start: 18, end: 18 }), { cell: 1, span: { start: 5, end: 5 } });
    assert.equal(program.localSpan({ start: 10, end: 15 }), undefined, 'a span across cells');
    assert.equal(program.programOffset(2, 3), 22);
    // A position (where a statement starts) at that boundary is the later cell's first character.
    assert.deepEqual(program.localOffset(13), { cell: 1, offset: 0 });
    assert.deepEqual(program.localOffset(12), { cell: 0, offset: 12 });
  });

  it('keeps a fix only when each edit lies in one cell, outside masked IPython syntax', () => {
    assert.ok(program.localEdits([{ span: { start: 17, end: 18 }, newText: '2' }]));
    assert.equal(program.localEdits([{ span: { start: 10, end: 15 }, newText: '' }]), undefined);
    assert.equal(program.localEdits([{ span: { start: 20, end: 21 }, newText: 'x' }]), undefined, 'inside the masked magic');
    const finding = { code: 'IW101', severity: 'warning' as const, span: { start: 13, end: 14 }, message: '', related: [] };
    const fixes = [
      { title: 'ok', applicability: 'safe' as const, edits: [{ span: { start: 17, end: 18 }, newText: '2' }] },
      { title: 'across', applicability: 'safe' as const, edits: [{ span: { start: 10, end: 15 }, newText: '' }] },
    ];
    assert.deepEqual(program.mappableFindings([{ ...finding, fixes }])[0]!.fixes.map((f) => f.title), ['ok']);
  });
});

describe('notebook: editing one cell re-analyses incrementally, invisibly', () => {
  it('gives after each cell edit exactly what a fresh analysis gives', async () => {
    const python = await pythonSupport();
    const file = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'notebooks', 'critic.ipynb'), 'utf8');
    const parsed = parseNotebook(file);
    assert.ok(parsed.ok);
    const cells = new NotebookSources(parsed.notebook).program().cells.map((cell) => ({ id: cell.id, text: cell.text }));
    const memory = new AnalysisMemory();
    const edits: [number, (text: string) => string][] = [
      [2, (t) => t.replace('width=256', 'width=512')],
      [2, (t) => t.replace('F.relu(self.fc2(x))', 'torch.tanh(self.fc2(x))')],
      [0, (t) => `${t}\nimport math`],
      [3, (t) => `${t}\nsecond = Critic(width=64)`],
      [1, () => ''],
    ];
    const strip = (result: ReturnType<typeof analyze>) => JSON.stringify({ findings: result.findings, networks: result.networks.map((n) => [n.name, n.layers.map((l) => [l.span, l.fans])]) });
    analyze({ text: NotebookProgram.build(cells).text, languageId: 'python', python, memory });
    for (const [cell, edit] of edits) {
      cells[cell] = { ...cells[cell]!, text: edit(cells[cell]!.text) };
      const text = NotebookProgram.build(cells).text;
      assert.equal(strip(analyze({ text, languageId: 'python', python, memory })), strip(analyze({ text, languageId: 'python', python })));
    }
    memory.dispose();
  });
});

describe('notebook: the scanner and the splice', () => {
  const file = [
    '\ufeff{',
    ' "cells": [',
    '  {"cell_type": "markdown", "source": ["# \\u00e9\\"quoted\\\\"]},',
    '  {"cell_type": "code", "outputs": [{"text": "a \\\\\\" b"}], "source": [',
    '    "import torch\\n",',
    '    "caf\\u00e9 = 1\\n",',
    '    "x = 1"',
    '   ]},',
    '  {"cell_type": "code", "source": []},',
    '  {"cell_type": "code", "source": "y = 2\\n"}',
    ' ],',
    ' "metadata": {"kernelspec": {"language": "python"}},',
    ' "nbformat": 4, "nbformat_minor": 5',
    '}',
  ].join('\r\n');

  it('reads cell types, sources with their ranges, the language; skips escaped quotes in other strings', () => {
    const result = parseNotebook(file);
    assert.ok(result.ok);
    const { cells, language, nbformat } = result.notebook;
    assert.deepEqual([nbformat, language], [4, 'python']);
    assert.deepEqual(cells.map((c) => [c.cellType, c.source?.shape, c.source?.text]), [
      ['markdown', 'lines', '# é"quoted\\'],
      ['code', 'lines', 'import torch\ncafé = 1\nx = 1'],
      ['code', 'lines', ''],
      ['code', 'string', 'y = 2\n'],
    ]);
    const source = cells[1]!.source!;
    assert.equal(file.slice(source.start, source.end), '[\r\n    "import torch\\n",\r\n    "caf\\u00e9 = 1\\n",\r\n    "x = 1"\r\n   ]');
  });

  it('splices new sources in their shape, unchanged lines verbatim, the rest of the file untouched', () => {
    const result = parseNotebook(file);
    assert.ok(result.ok);
    const out = spliceSources(file, result.notebook, new Map([
      [1, 'import torch\ncafé = 1\nx = 2\nz = 3'],
      [2, 'new = 1\nline = 2'],
      [3, 'y = "é"\n'],
    ]));
    const expected = file
      .replace('"x = 1"\r\n   ]', '"x = 2\\n",\r\n    "z = 3"\r\n   ]')
      .replace('"source": []', '"source": [\r\n   "new = 1\\n",\r\n   "line = 2"\r\n  ]')
      .replace('"source": "y = 2\\n"', '"source": "y = \\"é\\"\\n"');
    assert.equal(out, expected);
    const again = parseNotebook(out);
    assert.ok(again.ok);
    assert.deepEqual(again.notebook.cells.map((c) => c.source?.text), ['# é"quoted\\', 'import torch\ncafé = 1\nx = 2\nz = 3', 'new = 1\nline = 2', 'y = "é"\n']);
  });

  it('splits sources as Jupyter does', () => {
    assert.deepEqual(splitSourceLines('a\nb\n'), ['a\n', 'b\n']);
    assert.deepEqual(splitSourceLines('a\n\nb'), ['a\n', '\n', 'b']);
    assert.deepEqual(splitSourceLines(''), []);
  });

  it('places errors precisely', () => {
    const bad = parseNotebook('{\n "nbformat": 4,\n "cells": [\n  {"source": "x" "y"}\n ]\n}');
    assert.deepEqual(bad.ok ? undefined : bad.error, { message: "expected ',' or '}'", offset: 47, line: 4, column: 18 });
  });
});
