/**
 * A token embedding multiplied by √d_model (the PyTorch transformer tutorial's
 * `self.embedding(src) * math.sqrt(self.d_model)`, Vaswani et al. 2017 §3.4) is an op of the
 * simulation (ir.ts ScaleOp: the second moment ×d forward, the gradient ×d backward), checked
 * against PyTorch 1.13 (test/reference/transformer/embedding_scale.{py,json}): the tutorial's
 * model (test/fixtures/rules/IW402/clean_tutorial_pytorch.py) at d_model 128, 3 blocks, 64 tokens,
 * dropout 0, with its copied blocks (Monte-Carlo only), with each block drawn on its own (analytic
 * and Monte-Carlo), pre-LN with nn.Embedding's N(0, 1) rows, and without the factor (the control).
 * The analytic pass: the stream after the factor and the table, every residual sum's second
 * moment, token correlation and gradient, the feed-forward Linears' and the head's forward and
 * gradient, and the gradient reaching the embedding (through the factor) within PyTorch's seed
 * spread or a floor (3% of a second moment, 0.015 of a correlation; 8% for gradients behind the
 * attention, whose softmax statistics are approximate). Monte-Carlo: as two samples.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import type { Network } from '../../server/src/core/ir';
import { simulateTokenMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { pythonSupport } from '../support/python';
import { readReference } from '../support/reference';
import { discrepancy } from '../support/seedComparison';
import { encoderStackMismatches } from '../support/tokenStreamOracle';

interface Seed {
  emb_m2: number; input_m2: number; input_rho: number; stream_m2: number[]; stream_rho: number[]; stream_grad: number[];
  emb_grad: number; onehot_grad: number; linear_fwd: number[]; linear_grad: number[];
}
interface Measured {
  id: string; blocks: 'copied' | 'independent'; norm_first: boolean; embedding: 'uniform0.1' | 'default'; scaled: boolean;
  tokens: number; d_model: number; heads: number; d_hid: number; n_layer: number; ntoken: number; batch: number;
  per_seed: Seed[];
}

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'rules', 'IW402', 'clean_tutorial_pytorch.py');
const fixture = fs.readFileSync(FIXTURE, 'utf8');

function replaced(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `the fixture has no ${from}`);
  return text.replace(from, to);
}

/** The measured model as code: the tutorial fixture at the measured sizes, dropout 0, and the config's variant. */
function codeOf(m: Measured): string {
  let text = fixture;
  for (const [name, value] of [['ntokens', m.ntoken], ['emsize', m.d_model], ['d_hid', m.d_hid], ['nlayers', m.n_layer], ['nhead', m.heads], ['dropout', 0.0]] as const) {
    text = text.replace(new RegExp(`^${name} = [0-9.]+`, 'm'), `${name} = ${value}`);
  }
  const layer = `TransformerEncoderLayer(d_model, nhead, d_hid, dropout${m.norm_first ? ', norm_first=True' : ''})`;
  if (m.blocks === 'independent') {
    text = replaced(text, `        encoder_layers = TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
        self.transformer_encoder = TransformerEncoder(encoder_layers, nlayers)
#                                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ IW404
`, `        self.transformer_encoder = nn.ModuleList([${layer} for _ in range(nlayers)])
`);
    text = replaced(text, '        output = self.transformer_encoder(src, src_mask)\n', '        output = src\n        for block in self.transformer_encoder:\n            output = block(output)\n');
  } else if (m.norm_first) {
    text = replaced(text, 'TransformerEncoderLayer(d_model, nhead, d_hid, dropout)', layer);
  }
  if (m.embedding === 'default') text = replaced(text, '        self.embedding.weight.data.uniform_(-initrange, initrange)\n', '');
  if (!m.scaled) text = replaced(text, ' * math.sqrt(self.d_model)', '');
  return text;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('a token embedding scaled by √d_model vs PyTorch (the transformer tutorial)', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const measured = readReference<{ results: Measured[] }>('transformer/embedding_scale.json').results;

  function network(m: Measured): Network {
    const found = analyze({ text: codeOf(m), languageId: 'python', python }).networks.find((n) => n.name === 'TransformerModel');
    assert.ok(found, 'no network TransformerModel');
    // The code states no sequence length (the table has 5000 rows): the measured one.
    return { ...found, tokens: m.tokens };
  }

  it('reads the factor as an op after the embedding: √d_model, written `× math.sqrt(self.d_model)`; without it, none', () => {
    for (const m of measured) {
      const n = network(m);
      const scale = n.ops.find((op) => op.op === 'scale');
      if (!m.scaled) {
        assert.equal(scale, undefined, m.id);
        continue;
      }
      assert.ok(scale?.op === 'scale' && n.ops[1] === scale, m.id);
      assert.ok(Math.abs(scale.factor - Math.sqrt(m.d_model)) < 1e-12);
      assert.equal(scale.label, '× math.sqrt(self.d_model)');
      assert.equal(n.unsimulable, undefined, m.id);
      assert.equal(n.monteCarloOnly !== undefined, m.blocks === 'copied', m.id);
      // `TransformerEncoderLayer(d_model, nhead, d_hid, dropout)`: the third and fourth arguments are
      // dim_feedforward and dropout (once read as MultiheadAttention's dropout and bias: no attention).
      const attention = n.ops.flatMap((op) => (op.op === 'residual' ? op.body : [op])).find((op) => op.op === 'attention');
      assert.ok(attention?.op === 'attention' && attention.heads === m.heads && attention.headDim === m.d_model / m.heads, m.id);
      assert.deepEqual(n.layers[5]!.fans, { fanIn: m.d_model, fanOut: m.d_hid });
      // The tutorial's table, sequence first from the start: `torch.zeros(max_len, 1, d_model)`, `pe[:, 0, 0::2]`.
      const table = n.ops.find((op) => op.op === 'positionTable');
      assert.ok(table?.op === 'positionTable' && table.fixed?.width === m.d_model && table.fixed.rows === 5000, m.id);
    }
  });

  for (const m of measured.filter((r) => r.blocks === 'independent')) {
    it(`${m.id}: analytic pass within PyTorch's seed spread (stream, correlation, gradients, the Linears, the embedding's gradient through the factor)`, () => {
      const n = network(m);
      const s = simulateTokenStream(n, NEVER_CANCELLED, { gradientAtLogits: false });
      assert.ok(s, 'the token stream is simulated');
      const failures = encoderStackMismatches(s, m);
      if (verbose) console.log(m.id, s.stream.map((p) => [p.secondMoment, p.correlation, p.gradient].map((v) => v.toPrecision(4)).join('/')).join(' '));
      assert.deepEqual(failures, []);
    });
  }

  for (const m of measured) {
    it(`${m.id}: Monte-Carlo (the model drawn as PyTorch draws it) within PyTorch's seed spread`, function () {
      this.timeout(120_000);
      const n = network(m);
      const runs = Array.from({ length: 4 }, (_, s) => {
        const run = simulateTokenMonteCarlo(n, { seed: 31 + s, batch: m.batch, gradientAtLogits: false }, NEVER_CANCELLED);
        assert.ok(run, 'the Monte-Carlo pass declined');
        assert.equal(run.tokens, m.tokens);
        return run;
      });
      const failures: string[] = [];
      const compare = (what: string, ours: number[], torch: number[], linear = false) => {
        const d = discrepancy(ours, torch, linear ? { scale: 'linear', floor: 0.01 } : { floor: 0.03 });
        if (!(d <= 1)) failures.push(`${what}: ${ours.map((v) => v.toPrecision(4)).join(', ')} vs ${torch.map((v) => v.toPrecision(4)).join(', ')}`);
      };
      for (let i = 0; i < 2 * m.n_layer; i++) {
        const ours = runs.map((r) => r.stream.filter((p) => p.depth === 0)[i]!);
        compare(`stream_m2[${i}]`, ours.map((p) => p.secondMoment), m.per_seed.map((p) => p.stream_m2[i]!));
        compare(`stream_rho[${i}]`, ours.map((p) => p.correlation), m.per_seed.map((p) => p.stream_rho[i]!), true);
        compare(`stream_grad[${i}]`, ours.map((p) => p.gradient), m.per_seed.map((p) => p.stream_grad[i]!));
      }
      compare('embedding gradient', runs.map((r) => r.simulation.layers[0]!.gradientVariance), m.per_seed.map((p) => p.onehot_grad));
      if (verbose) console.log(m.id, runs[0]!.stream.map((p) => p.secondMoment.toPrecision(4)).join(' '));
      assert.deepEqual(failures, []);
    });
  }

  it('the factor is what the control lacks: PyTorch\'s stream input and embedding gradient differ by d_model·E[e²] and ×d_model, and so do ours', () => {
    const scaled = measured.find((m) => m.id === 'independent_blocks')!;
    const control = measured.find((m) => m.id === 'unscaled')!;
    const a = simulateTokenStream(network(scaled), NEVER_CANCELLED, { gradientAtLogits: false })!;
    const b = simulateTokenStream(network(control), NEVER_CANCELLED, { gradientAtLogits: false })!;
    const torchInput = mean(scaled.per_seed.map((p) => p.input_m2)) - mean(control.per_seed.map((p) => p.input_m2));
    const oursInput = a.stream[0]!.before - b.stream[0]!.before;
    const embedding = mean(scaled.per_seed.map((p) => p.emb_m2));
    assert.ok(Math.abs(oursInput / ((scaled.d_model - 1) * embedding) - 1) < 0.01, `ours ${oursInput}`);
    assert.ok(Math.abs(torchInput / ((scaled.d_model - 1) * embedding) - 1) < 0.01, `PyTorch ${torchInput}`);
  });
});

const verbose = process.env.ORACLE_VERBOSE === '1';
