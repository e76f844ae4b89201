/**
 * Jupyter notebooks through the built CLI: found in folders (with the configuration's
 * `exclude`, checkpoints skipped) and given directly; cell-aware locations in the text,
 * JSON, SARIF (schema-validated) and GitHub formats; `--fix` writing the notebook back
 * byte for byte outside the fixed cell; and hostile notebooks: bad JSON, nbformat 3, deep
 * nesting, another kernel language, bytes that are not UTF-8, and 50 MB of image outputs
 * (generated here, never committed).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { initwise, project } from './support';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'notebooks');
const CRITIC = fs.readFileSync(path.join(FIXTURES, 'critic.ipynb'), 'utf8');
const STRINGS = fs.readFileSync(path.join(FIXTURES, 'string_sources.ipynb'), 'utf8');

/** A notebook from code-cell sources (strings), in Jupyter's layout. */
function notebook(sources: readonly string[], extra: Record<string, unknown> = {}): string {
  const cells = sources.map((source) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source }));
  return JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5, ...extra }, null, 1) + '\n';
}

describe('initwise check: notebooks', () => {
  it('finds .ipynb files in folders (not in checkpoints, not excluded) and reports cell:line:col', () => {
    const dir = project({
      'nb/critic.ipynb': CRITIC,
      'nb/.ipynb_checkpoints/critic-checkpoint.ipynb': CRITIC,
      'nb/old/critic.ipynb': CRITIC,
      'initwise.toml': 'exclude = ["nb/old"]\n',
    });
    const run = initwise(['check', '.'], dir);
    assert.equal(run.status, 1, run.stderr);
    const headers = run.stdout.split('\n').filter((line) => /^\S+:cell \d+:\d+:\d+: IW/.test(line));
    assert.deepEqual(headers.map((h) => h.split(': ')[0]), ['nb/critic.ipynb:cell 4:7:9', 'nb/critic.ipynb:cell 4:8:9']);
    // Given directly, an excluded notebook is checked (as for .py files).
    assert.match(initwise(['check', 'nb/old/critic.ipynb'], dir).stdout, /^nb\/old\/critic\.ipynb:cell 4:7:9: IW102/m);
  });

  it('json: cell numbers on diagnostics, fix edits, networks and layers; positions within the cell', () => {
    const dir = project({ 'critic.ipynb': CRITIC });
    const report = JSON.parse(initwise(['check', 'critic.ipynb', '--format', 'json'], dir).stdout) as {
      files: { path: string; networks: { name: string; cell: number; line: number; layers: { cell: number; line: number }[] }[]; diagnostics: { cell: number; code: string; line: number; column: number; fixes: { edits: { cell: number; line: number }[] }[] }[] }[];
    };
    const [file] = report.files;
    assert.deepEqual(file!.diagnostics.map((d) => [d.cell, d.code, d.line, d.column]), [[4, 'IW102', 7, 9], [4, 'IW102', 8, 9]]);
    assert.deepEqual(file!.diagnostics[0]!.fixes[0]!.edits.map((e) => [e.cell, e.line]), [[4, 7]]);
    assert.deepEqual(file!.networks.map((n) => [n.name, n.cell, n.line]), [['critic', 5, 2]]);
    assert.deepEqual(file!.networks[0]!.layers.map((l) => [l.cell, l.line]), [[4, 4], [4, 5], [4, 6]]);
  });

  it('a statement that begins a cell is placed in that cell, not at the end of the one before', () => {
    // Cell 1 ends with a line break, so cell 2 starts where cell 1 ends.
    const dir = project({ 'strings.ipynb': STRINGS });
    const report = JSON.parse(initwise(['check', 'strings.ipynb', '--format', 'json'], dir).stdout) as { files: { networks: { name: string; cell: number; line: number }[] }[] };
    assert.deepEqual(report.files[0]!.networks.map((n) => [n.name, n.cell, n.line]), [['net', 2, 1]]);
  });

  it('initwise report: the rows name cell:line; a bad notebook is one located error', () => {
    const dir = project({ 'critic.ipynb': CRITIC, 'v3.ipynb': '{"nbformat": 3}' });
    const run = initwise(['report', 'critic.ipynb'], dir);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^critic \(pytorch\): signal/);
    assert.deepEqual(run.stdout.split('\n').filter((l) => /^\s+\d+\s+\d+:\d+\s+dense/.test(l)).map((l) => l.trim().split(/\s+/)[1]), ['4:4', '4:5', '4:6']);
    const bad = initwise(['report', 'v3.ipynb'], dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^initwise: v3\.ipynb:1:14: not a readable notebook: nbformat 3 is not supported/);
  });

  it('sarif: valid, regions within the cell, the cell in the properties; github: the cell in the message', () => {
    const dir = project({ 'critic.ipynb': CRITIC });
    const sarif = JSON.parse(initwise(['check', 'critic.ipynb', '--format', 'sarif'], dir).stdout) as {
      runs: { results: { properties: { cell: number }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[] }[] }[];
    };
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(__dirname, 'schemas', 'sarif-2.1.0-rtm.5.json'), 'utf8')) as object);
    assert.ok(validate(sarif), JSON.stringify(validate.errors, null, 2));
    const [first] = sarif.runs[0]!.results;
    assert.deepEqual(first!.properties, { cell: 4 });
    assert.deepEqual(first!.locations[0]!.physicalLocation.region.startLine, 7);
    assert.equal(first!.locations[0]!.physicalLocation.artifactLocation.uri, 'critic.ipynb');

    const github = initwise(['check', 'critic.ipynb', '--format', 'github'], dir).stdout.split('\n')[0];
    assert.match(github!, /^::warning file=critic\.ipynb,line=7,col=9,endLine=7,endColumn=70,title=IW102::cell 4:7:9: IW102 /);
  });

  it('--fix keeps the source shape (a string stays a string) and every other byte; --diff shows the cell', () => {
    const dir = project({ 'strings.ipynb': STRINGS });
    const diff = initwise(['check', 'strings.ipynb', '--diff', '--unsafe-fixes'], dir);
    assert.match(diff.stdout, /^--- a\/strings\.ipynb:cell 2\n\+\+\+ b\/strings\.ipynb:cell 2\n/);
    assert.equal(fs.readFileSync(path.join(dir, 'strings.ipynb'), 'utf8'), STRINGS, '--diff writes nothing');
    const fixed = initwise(['check', 'strings.ipynb', '--fix', '--unsafe-fixes'], dir);
    assert.equal(fixed.status, 0, fixed.stdout + fixed.stderr);
    assert.equal(fs.readFileSync(path.join(dir, 'strings.ipynb'), 'utf8'), STRINGS.replace('nonlinearity=\\"relu\\"', 'nonlinearity=\\"tanh\\"'));
  });

  it('a file that is not valid JSON is one error line with its place, and the other files are still checked', () => {
    const truncated = CRITIC.slice(0, CRITIC.indexOf('"outputs"', 2000));
    const dir = project({ 'bad.ipynb': truncated, 'trailing.ipynb': CRITIC.replace(/\n$/, ',\n'), 'critic.ipynb': CRITIC });
    const run = initwise(['check', '.'], dir);
    assert.equal(run.status, 2);
    const lines = run.stderr.trim().split('\n');
    const line = truncated.split('\n').length;
    assert.deepEqual(lines, [
      `initwise: bad.ipynb:${line}:${truncated.length - truncated.lastIndexOf('\n')}: not a readable notebook: unexpected end of file, expected a string`,
      `initwise: trailing.ipynb:${CRITIC.split('\n').length - 1}:2: not a readable notebook: unexpected text after the notebook object`,
    ]);
    assert.match(run.stdout, /critic\.ipynb:cell 4:7:9: IW102/);
  });

  it('nbformat 3, a missing nbformat, deep nesting and a list at the top are clear errors, never a crash', () => {
    const v3 = JSON.stringify({ nbformat: 3, nbformat_minor: 0, worksheets: [{ cells: [] }], metadata: {} });
    const cases: Record<string, [string, RegExp]> = {
      'v3.ipynb': [v3, /^initwise: v3\.ipynb:1:13: not a readable notebook: nbformat 3 is not supported: InitWise reads nbformat 4 notebooks/],
      'none.ipynb': ['{"cells": []}', /^initwise: none\.ipynb:1:1: not a readable notebook: not a Jupyter notebook: no "nbformat" field\n$/],
      'deep.ipynb': [`{"nbformat": 4, "cells": [], "metadata": ${'['.repeat(100_000)}`, /^initwise: deep\.ipynb:1:\d+: not a readable notebook: nested too deeply\n$/],
      'list.ipynb': ['[1, 2]', /^initwise: list\.ipynb:1:1: not a readable notebook: a notebook is a JSON object\n$/],
      'source.ipynb': ['{"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]}', /^initwise: source\.ipynb:1:59: not a readable notebook: "source" must be a string or a list of strings\n$/],
    };
    for (const [name, [content, expected]] of Object.entries(cases)) {
      const run = initwise(['check', name], project({ [name]: content }));
      assert.equal(run.status, 2, name);
      assert.match(run.stderr, expected, name);
      assert.doesNotMatch(run.stderr, /internal error|at .*\.js/, name);
    }
  });

  it('a notebook of another kernel language is not clean: it says nothing was checked', () => {
    const r = notebook(['library(keras)\nmodel <- keras_model_sequential()'], { metadata: { kernelspec: { language: 'R', name: 'ir' } } });
    const run = initwise(['check', 'r.ipynb'], project({ 'r.ipynb': r }));
    assert.equal(run.status, 0);
    assert.equal(run.stderr, "initwise: warning: r.ipynb: nothing checked: its kernel language is 'R', not Python\n");
  });

  it('a notebook whose bytes are not UTF-8 is checked, but fixes are not written over it', () => {
    const text = notebook(['import torch.nn as nn', 'net = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 8))\nnn.init.kaiming_normal_(net[0].weight, nonlinearity="relu")'], { metadata: { note: 'X' } });
    const bytes = Buffer.from(text, 'utf8');
    bytes[bytes.indexOf('X')] = 0xff;
    const dir = project({});
    fs.writeFileSync(path.join(dir, 'latin.ipynb'), bytes);
    const run = initwise(['check', 'latin.ipynb', '--fix', '--unsafe-fixes'], dir);
    assert.equal(run.status, 2);
    assert.equal(run.stderr, 'initwise: latin.ipynb: not valid UTF-8; fixes not written\n');
    assert.deepEqual(fs.readFileSync(path.join(dir, 'latin.ipynb')), bytes);
  });

  it('50 MB of image outputs: only the sources are read, the findings are the same, --fix writes the outputs back untouched', () => {
    // One base64 PNG-like payload of 50 MB in a display_data output (generated, not committed).
    const image = 'iVBORw0KGgo' + 'A'.repeat(50 * 1024 * 1024);
    const parsed = JSON.parse(CRITIC) as { cells: { outputs?: unknown[] }[] };
    parsed.cells[4]!.outputs = [{ data: { 'image/png': image, 'text/plain': ['<Figure>'] }, metadata: {}, output_type: 'display_data' }];
    const huge = JSON.stringify(parsed, null, 1) + '\n';
    const dir = project({ 'huge.ipynb': huge });
    const run = initwise(['check', 'huge.ipynb', '--fix', '--unsafe-fixes'], dir);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Fixed 2 findings in 1 file\./);
    const after = fs.readFileSync(path.join(dir, 'huge.ipynb'), 'utf8');
    assert.equal(after.length, huge.length + 'a=0.2, '.length + 'leaky_'.length - 'a=0.2, '.length);
    assert.ok(after.includes(`"image/png": "${image}"`));
  });
});
