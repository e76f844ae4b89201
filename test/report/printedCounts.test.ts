/**
 * Counts are printed exactly (issue 13, item 1): every width, layer number and layer count
 * the hover, the CLI's messages and report, and the HTML report print is checked against
 * the IR, for every example and fixture and for a network of 1024/2048/3072/4096-wide
 * layers (the 3-significant-digit number format once showed 2048 as 2050).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, type AnalysisResult } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { walkOps, type AttentionOp, type Network } from '../../server/src/core/ir';
import { renderReportHtml } from '../../server/src/core/report/html';
import { buildSignalReport } from '../../server/src/core/report/model';
import { renderReportText } from '../../server/src/core/report/text';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { runsOverTokens, simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { LineIndex } from '../../server/src/core/text';
import { textDocumentMap } from '../../server/src/lsp/documentMap';
import { hoverAt } from '../../server/src/lsp/hover';
import { languageOf } from '../support/fixtures';
import { pythonSupport } from '../support/python';
import { all, byId, parseHtml, ROOT } from './support';

const WIDE = [
  'network wide framework=pytorch {',
  '  input 784',
  '  dense 2048 activation=relu',
  '  repeat 3 {',
  '    dense 4096 activation=relu init=he_normal',
  '  }',
  '  dense 3072 activation=gelu',
  '  dense 1024 activation=tanh init=glorot_uniform',
  '  dense 10 activation=softmax',
  '}',
  '',
].join('\n');

function sources(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [{ name: 'wide.netdef', text: WIDE }];
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(netdef|py)$/.test(entry.name)) out.push({ name: path.relative(ROOT, full), text: fs.readFileSync(full, 'utf8') });
    }
  };
  walk(path.join(ROOT, 'examples'));
  walk(path.join(ROOT, 'test', 'fixtures'));
  return out;
}

/** "A → B" / "A→B" as printed, the two integers; undefined fans print "?". */
function fansText(network: Network, layer: number, arrow: string): string {
  const fans = network.layers[layer]!.fans;
  return fans ? `${fans.fanIn}${arrow}${fans.fanOut}` : `?${arrow}?`;
}

describe('printed counts match the IR (issue 13)', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  for (const source of sources()) {
    it(source.name, () => {
      const result: AnalysisResult = analyze({ text: source.text, languageId: languageOf(source.name), python });
      const index = new LineIndex(source.text);
      const uri = `file:///${source.name}`;
      const analysis = { uri, version: 1, text: source.text, index, result, map: textDocumentMap(uri, index) };
      result.networks.forEach((network, n) => {
        // Hover: the title's widths and position, the fan row, for the first instance of each statement.
        for (const layer of network.layers) {
          const hover = hoverAt(analysis, layer.span.start);
          if (!hover) continue;
          const value = (hover.contents as { value: string }).value;
          const title = value.split('\n')[0]!;
          // An attention's projections share its statement: the hover explains the attention as a whole (heads, head width, repeats).
          const attention = /^\*\*attention\*\* (\d+) heads × (\d+)(?: · causal)?(?: · cross-attention \([^)]*\))?(?: · ×(\d+) \(repeat\))? · in `/.exec(title);
          if (attention) {
            const ops = result.networks.map((net) => [...walkOps(net.ops)].filter((op): op is AttentionOp => op.op === 'attention' && op.span.start <= layer.span.start && layer.span.end <= op.span.end))
              .find((found) => found.length > 0)!;
            const op = ops[0]!;
            assert.equal(Number(attention[1]), op.heads, title);
            assert.equal(Number(attention[2]), op.headDim, title);
            // One call can build several kinds (nn.Transformer): the title counts the first's kind, a last line the others.
            const statement = ops.filter((o) => o.span.start === op.span.start && o.span.end === op.span.end);
            const kind = (o: AttentionOp) => `${o.crossAttention === true}|${o.causal}`;
            const repeats = statement.filter((o) => kind(o) === kind(op)).length;
            assert.equal(attention[3] === undefined ? 1 : Number(attention[3]), repeats, title);
            const others = /This call also builds (.*)\.$/m.exec(value)?.[1];
            const otherCounts = (others ?? '').split(/, | and /).filter((part) => part !== '').map((part) => Number(/^(\d+) /.exec(part)?.[1]));
            assert.equal(otherCounts.reduce((a, b) => a + b, 0), statement.length - repeats, value);
            continue;
          }
          const match = /^\*\*\w+\*\*(?: \([^)]*\))? (\S+) → (\S+)(?: · ×(\d+) \(repeat\))? · layer (\d+) of (\d+) in /.exec(title);
          assert.ok(match, `hover title: ${title}`);
          // The instance the hover describes: the first network (in result order) holding the statement, its first instance
          // (a subclassed Keras layer is both a network of its own and a part of the functional model applying it).
          const first = result.networks.map((net) => net.layers.filter((l) => l.span.start === layer.span.start && l.span.end === layer.span.end).map((l) => ({ net, l })))
            .find((found) => found.length > 0)!.sort((a, b) => a.l.index - b.l.index)[0]!;
          const fans = first.l.fans;
          assert.equal(`${match[1]} → ${match[2]}`, fans ? `${fans.fanIn} → ${fans.fanOut}` : '? → ?', title);
          assert.equal(Number(match[4]), first.l.index + 1, title);
          assert.equal(Number(match[5]), first.net.layers.length, title);
          const repeats = first.net.layers.filter((l) => l.span.start === layer.span.start && l.span.end === layer.span.end).length;
          assert.equal(match[3] === undefined ? 1 : Number(match[3]), repeats, title);
          const row = /^\| fan_in → fan_out \| (\S+)(?: \((\S+) … (\S+)\))? → (\S+)(?: \((\S+) … (\S+)\))? \|$/m.exec(value);
          if (fans) {
            assert.ok(row, `fan row in ${title}`);
            assert.equal(row[1], String(fans.fanIn));
            assert.equal(row[4], String(fans.fanOut));
          }
        }
        // The CLI's text report and the HTML report: every row's number, line and fans.
        const report = buildSignalReport(network, result.simulations[n], { band: 100, lineOf: (offset) => index.positionAt(offset).line + 1 });
        const text = renderReportText(report);
        // A network over tokens is summarised by its residual stream: one point per branch (an
        // encoder–decoder's by its decoder's: the encoder's branches make the memory).
        const tokenNetwork = runsOverTokens(network);
        const stream = tokenNetwork ? (simulateTokenStream(network, NEVER_CANCELLED)?.stream.filter((p) => p.depth === 0 && !p.memory).length ?? 0) : 0;
        if (stream > 0) assert.match(text.split('\n')[0]!, new RegExp(` over ${stream} branch(es)? · `));
        if (report.status === 'simulated') {
          if (!tokenNetwork) assert.match(text.split('\n')[0]!, new RegExp(` over ${network.layers.length} layers? · `));
          // The per-layer table: the rows under its header (a network over tokens lists its stream and attentions first).
          const lines = text.split('\n');
          const header = lines.findIndex((line) => /^ +# +line +layer +fan_in→fan_out/.test(line));
          const rows = lines.slice(header + 1).filter((line) => /^ {2} *\d+ +\d+ +\w/.test(line));
          assert.equal(rows.length, network.layers.length);
          rows.forEach((line, i) => {
            const cells = line.trim().split(/ {2,}/);
            assert.equal(cells[0], String(i + 1));
            assert.equal(cells[1], String(index.positionAt(network.layers[i]!.span.start).line + 1));
            assert.equal(cells[3], fansText(network, i, '→'), line);
          });
          const page = parseHtml(renderReportHtml(report, { nonce: 'bm9uY2U=' }));
          const htmlRows = all(byId(page, 'layers'), (el) => el.tag === 'tr' && el.attrs['data-layer'] !== undefined);
          htmlRows.forEach((row, i) => {
            assert.equal(row.children[0]!.text, String(i + 1));
            assert.equal(row.children[3]!.text, fansText(network, i, ' → '));
          });
        }
      });
      // The CLI's messages: "layer k of N" and "on this A→B … layer" name real layers.
      for (const finding of result.findings) {
        for (const m of finding.message.matchAll(/layer (\d+) of (\d+)/g)) {
          const owner = result.networks.find((net) => net.layers.length === Number(m[2]));
          assert.ok(owner, `${finding.code}: "${m[0]}" names a network of ${m[2]} layers`);
          assert.ok(Number(m[1]) >= 1 && Number(m[1]) <= Number(m[2]));
        }
        for (const m of finding.message.matchAll(/on this (\d+)→(\d+) /g)) {
          const layers = result.networks.flatMap((net) => net.layers).filter((l) => l.fans?.fanIn === Number(m[1]) && l.fans?.fanOut === Number(m[2]));
          assert.ok(layers.length > 0, `${finding.code}: "${m[0]}" matches a layer's fans exactly`);
        }
      }
    });
  }
});
