/** The text-format building blocks: excerpts with carets, fix diffs, the summary line. */
import * as assert from 'node:assert/strict';
import type { Finding } from '../../server/src/core/findings';
import { LineIndex } from '../../server/src/core/text';
import { applyEdits, unifiedDiff } from '../../server/src/cli/formatters/diff';
import { renderExcerpt, toDisplayLine } from '../../server/src/cli/formatters/excerpt';
import { chooseStyle, COLOURED, PLAIN } from '../../server/src/cli/formatters/style';
import { countSeverities, renderFinding, renderSummary } from '../../server/src/cli/formatters/text';

const excerpt = (text: string, start: number, end: number) =>
  renderExcerpt(text, new LineIndex(text), { start, end }, PLAIN, (s) => s).join('\n');

describe('excerpt', () => {
  it('puts carets under a single-line range', () => {
    const text = 'network n {\n  dense 4 activation=relu init=zeros\n}\n';
    const start = text.indexOf('zeros');
    assert.equal(
      excerpt(text, start, start + 5),
      ['  |', '2 |   dense 4 activation=relu init=zeros', '  |                                ^^^^^'].join('\n'),
    );
  });

  it('aligns carets after astral characters, wide characters and tabs', () => {
    const line = '\t# 🎉 模型 x';
    const display = toDisplayLine(line);
    assert.equal(display.text, '    # 🎉 模型 x');
    // 'x' is UTF-16 index 9 (tab, #, space, 2 units of emoji, space, 2 CJK, space).
    assert.equal(line.indexOf('x'), 9);
    assert.equal(display.columns[9], 4 + 2 + 2 + 1 + 4 + 1);
    const out = excerpt(line, 9, 10).split('\n');
    assert.equal(out[2]!.indexOf('^') - '  | '.length, 14);
  });

  it('shows one caret for an empty range', () => {
    const text = 'network n {\n';
    assert.equal(excerpt(text, text.length - 1, text.length - 1).split('\n')[2], '  |            ^');
  });

  it('shows both ends of a long multi-line range around a gap', () => {
    const text = ['a {', '  b', '  c', '  d', '  e', '  f', '}'].join('\n');
    const out = excerpt(text, 0, text.length).split('\n');
    assert.deepEqual(out, ['  |', '1 | a {', '  | ^^^', '2 |   b', '  |   ^', '  :', '6 |   f', '  |   ^', '7 | }', '  | ^']);
  });

  it('does not count a range ending at a line start as covering that line', () => {
    const text = 'one\ntwo\n';
    assert.deepEqual(excerpt(text, 0, 4).split('\n'), ['  |', '1 | one', '  | ^^^']);
  });
});

describe('fix diff', () => {
  const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join('\n') + '\n';

  it('applies edits in offset order and refuses overlapping ones', () => {
    assert.equal(applyEdits('abcdef', [{ span: { start: 4, end: 5 }, newText: 'E' }, { span: { start: 0, end: 1 }, newText: 'A' }]), 'AbcdEf');
    assert.equal(applyEdits('abcdef', [{ span: { start: 0, end: 3 }, newText: 'x' }, { span: { start: 2, end: 4 }, newText: 'y' }]), undefined);
    assert.equal(applyEdits('abc', [{ span: { start: 2, end: 9 }, newText: 'x' }]), undefined);
  });

  it('renders a unified diff with three lines of context', () => {
    const after = before.replace('e\n', 'E\n');
    assert.equal(
      unifiedDiff(before, after, 'x.netdef', PLAIN),
      ['--- a/x.netdef', '+++ b/x.netdef', '@@ -2,7 +2,7 @@', ' b', ' c', ' d', '-e', '+E', ' f', ' g', ' h'].join('\n'),
    );
  });

  it('merges nearby changes into one hunk and splits distant ones', () => {
    const near = before.replace('c\n', 'C\n').replace('e\n', 'E\n');
    assert.equal((unifiedDiff(before, near, 'x', PLAIN).match(/^@@/gm) ?? []).length, 1);
    const long = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const far = long.replace('line 2\n', 'LINE 2\n').replace('line 25\n', 'LINE 25\n');
    assert.deepEqual(unifiedDiff(long, far, 'x', PLAIN).match(/^@@.*$/gm), ['@@ -1,6 +1,6 @@', '@@ -23,7 +23,7 @@']);
  });

  it('shows inserted lines, and an insertion at the top names line 0', () => {
    assert.equal(
      unifiedDiff('a\n', 'new\na\n', 'x', PLAIN),
      ['--- a/x', '+++ b/x', '@@ -1,1 +1,2 @@', '+new', ' a'].join('\n'),
    );
    assert.equal(unifiedDiff('', 'new\n', 'x', PLAIN), ['--- a/x', '+++ b/x', '@@ -0,0 +1,1 @@', '+new'].join('\n'));
  });

  it('marks a missing final newline', () => {
    assert.equal(
      unifiedDiff('a\nb', 'a\nc', 'x', PLAIN),
      ['--- a/x', '+++ b/x', '@@ -1,2 +1,2 @@', ' a', '-b', '\\ No newline at end of file', '+c', '\\ No newline at end of file'].join('\n'),
    );
  });

  it('numbers hunks so that applying them to the old text gives the new one (300 random cases)', () => {
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let round = 0; round < 300; round++) {
      const old = Array.from({ length: Math.floor(random() * 25) }, () => `l${Math.floor(random() * 6)}`);
      const edited = [...old];
      for (let e = Math.floor(random() * 4); e >= 0; e--) {
        const at = Math.floor(random() * (edited.length + 1));
        if (random() < 0.5 && at < edited.length) edited.splice(at, 1 + Math.floor(random() * 3));
        else edited.splice(at, 0, ...Array.from({ length: 1 + Math.floor(random() * 3) }, () => `n${Math.floor(random() * 6)}`));
      }
      const before = old.map((l) => `${l}\n`).join('');
      const after = edited.map((l) => `${l}\n`).join('');
      assert.equal(applyUnifiedDiff(before, unifiedDiff(before, after, 'x', PLAIN)), after, `round ${round}`);
    }
  });

  it('is empty when nothing changes', () => {
    assert.equal(unifiedDiff(before, before, 'x', PLAIN), '');
  });
});

/** A strict patch applier for the test: every context and removed line must be where the header says. */
function applyUnifiedDiff(before: string, diff: string): string {
  if (diff === '') return before;
  const old = before.split('\n').slice(0, -1);
  const out: string[] = [];
  let cursor = 0;
  const lines = diff.split('\n').slice(2);
  for (let k = 0; k < lines.length; ) {
    const header = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/.exec(lines[k]!);
    assert.ok(header, `expected a hunk header, got ${lines[k]}`);
    const [oldStart, oldCount, newStart, newCount] = header.slice(1).map(Number) as [number, number, number, number];
    const start = oldCount === 0 ? oldStart : oldStart - 1;
    out.push(...old.slice(cursor, start));
    assert.equal(out.length, newCount === 0 ? newStart : newStart - 1, `new start of ${lines[k]}`);
    cursor = start;
    for (k++; k < lines.length && !lines[k]!.startsWith('@@'); k++) {
      const [kind, text] = [lines[k]![0], lines[k]!.slice(1)];
      if (kind !== '+') assert.equal(old[cursor++], text, `old line ${cursor} of ${diff}`);
      if (kind !== '-') out.push(text);
    }
  }
  return [...out, ...old.slice(cursor)].map((l) => `${l}\n`).join('');
}

describe('text report', () => {
  const text = 'network n framework=keras {\n  input 8\n  dense 8 activation=relu init=glorot_uniform\n}\n';
  const start = text.indexOf('glorot_uniform');
  const finding: Finding = {
    code: 'IW101',
    severity: 'warning',
    span: { start, end: start + 'glorot_uniform'.length },
    message: 'glorot_uniform shrinks the signal of this ReLU layer',
    fixes: [{ title: 'Use he_normal', applicability: 'unsafe', edits: [{ span: { start, end: start + 14 }, newText: 'he_normal' }] }],
    related: [],
  };
  const source = { path: 'x.netdef', text, index: new LineIndex(text) };

  it('renders header, excerpt and fixes, with the diff only when asked', () => {
    const plain = renderFinding(source, finding, { style: PLAIN, showFixDiffs: false });
    assert.equal(
      plain,
      [
        'x.netdef:3:32: IW101 [warning] glorot_uniform shrinks the signal of this ReLU layer',
        '  |',
        '3 |   dense 8 activation=relu init=glorot_uniform',
        '  |                                ^^^^^^^^^^^^^^',
        '  = fix (unsafe): Use he_normal',
        '',
      ].join('\n'),
    );
    const withDiff = renderFinding(source, finding, { style: PLAIN, showFixDiffs: true });
    assert.ok(withDiff.includes('    -  dense 8 activation=relu init=glorot_uniform\n    +  dense 8 activation=relu init=he_normal\n'));
  });

  it('colours only when asked to', () => {
    assert.ok(!renderFinding(source, finding, { style: PLAIN, showFixDiffs: false }).includes('\u001b['));
    assert.ok(renderFinding(source, finding, { style: COLOURED, showFixDiffs: false }).includes('\u001b[33m'));
    assert.equal(chooseStyle(true, {}), COLOURED);
    assert.equal(chooseStyle(false, {}), PLAIN);
    assert.equal(chooseStyle(true, { NO_COLOR: '1' }), PLAIN);
    assert.equal(chooseStyle(true, { NO_COLOR: '' }), COLOURED);
  });

  it('summarises with the right plurals', () => {
    const f = (severity: Finding['severity']): Finding => ({ ...finding, severity });
    assert.equal(renderSummary(countSeverities([]), 0, PLAIN), 'All checks passed.');
    assert.equal(
      renderSummary(countSeverities([f('error'), f('warning'), f('warning')]), 2, PLAIN),
      'Found 3 findings in 2 files (1 error, 2 warnings, 0 info).',
    );
    assert.equal(renderSummary(countSeverities([f('info')]), 1, PLAIN), 'Found 1 finding in 1 file (0 errors, 0 warnings, 1 info).');
    assert.equal(renderSummary(countSeverities([f('hint')]), 1, PLAIN), 'Found 1 finding in 1 file (0 errors, 0 warnings, 0 info, 1 hint).');
  });
});
