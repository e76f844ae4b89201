/**
 * vit-pytorch's `pool = 'mean'` (the class token a table of no rows, the head reading
 * `x.mean(dim = 1)`: ir.ts TokenPoolOp, E[x̄²] = (m + (n−1)·c)/n, each token's gradient /n) and its
 * `pool = 'cls'` control, checked against PyTorch 1.13 (test/reference/transformer/vit_pool.{py,json}:
 * 64 patches of 48 values, dim 128, 4 heads of 32, 3 pre-LN blocks, MLP 256, 10 classes) on the
 * fixture test/fixtures/rules/IW402/clean_vit_pool.py. Analytic: the stream input, each residual
 * sum's second moment, token correlation and gradient, and every Linear but to_qkv (forward and
 * the gradient it sends back) within PyTorch's seed spread or a floor (3% of a second moment, 0.015
 * of a correlation, 8% for gradients); Monte-Carlo as two samples. The class token's `x[:, 0]`
 * is read too (TokenPoolOp `first`: the gradient reaches that token only, and the analytic pass
 * carries that token's gradient row apart from the patches', tokenStream.ts GradientMoments: the
 * patch embedding's gradient was ×290 PyTorch's (×107 with the single head below) while the pass
 * handed the patches the average over all 65 tokens; now inside the seed spread). A single head
 * as wide as the stream (`project_out` false: to_out is nn.Identity(), vit_pool.json's last two
 * configs) is an attention without an output projection (ir.ts AttentionOp.output absent),
 * simulated both ways and checked the same way.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { type Network, walkOps } from '../../server/src/core/ir';
import { simulateTokenMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { pythonSupport } from '../support/python';
import { readReference } from '../support/reference';
import { discrepancy, withinSeedSpread } from '../support/seedComparison';

interface Seed { input_m2: number; stream_m2: number[]; stream_rho: number[]; stream_grad: number[]; linear_fwd: number[]; linear_grad: number[]; pooled_m2: number }
interface Measured { id: string; pool: 'mean' | 'cls'; heads: number; dim_head: number; patches: number; dim: number; depth: number; batch: number; per_seed: Seed[] }

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'rules', 'IW402', 'clean_vit_pool.py');
const NAMES: Record<string, string> = { mean_pool: 'mean_model', cls_pool: 'cls_model', single_head_no_projection: 'single_head', single_head_no_projection_mean: 'single_head_mean' };
const verbose = process.env.ORACLE_VERBOSE === '1';

/**
 * The Linears vit_pool.py measures, as indices into network.layers: the patch Linear, per block
 * q, k, v, to_out, ff1, ff2 (without an output projection q, k, v, ff1, ff2), then the head; all
 * but q, k, v.
 */
function linearIndices(m: Measured): number[] {
  const perBlock = m.heads === 1 && m.dim_head === m.dim ? 5 : 6;
  const blocks = Array.from({ length: m.depth }, (_, b) => Array.from({ length: perBlock - 3 }, (_, i) => 1 + perBlock * b + 3 + i));
  return [0, ...blocks.flat(), 1 + perBlock * m.depth];
}

describe('vit-pytorch\'s pool = \'mean\' (a mean over the tokens before the head) vs PyTorch', () => {
  let python: PythonSupport;
  let networks: readonly Network[];
  before(async () => {
    python = await pythonSupport();
    networks = analyze({ text: fs.readFileSync(FIXTURE, 'utf8'), languageId: 'python', python }).networks;
  });
  const measured = readReference<{ results: Measured[] }>('transformer/vit_pool.json').results;
  const network = (m: Measured) => {
    const found = networks.find((n) => n.name === NAMES[m.id]);
    assert.ok(found, `no network ${NAMES[m.id]}`);
    return found;
  };

  it('reads the two heads: no class token and a mean over the 64 tokens before the head, or the class token in front of them (65 tokens)', () => {
    const mean = network(measured[0]!);
    assert.equal(mean.unsimulable, undefined);
    assert.equal(mean.tokens, 64);
    assert.ok(!mean.ops.some((op) => op.op === 'classToken'));
    const pool = mean.ops[mean.ops.length - 2]!;
    assert.ok(pool.op === 'tokenPool' && pool.kind === 'mean');
    const cls = network(measured[1]!);
    assert.equal(cls.tokens, 65);
    assert.ok(cls.ops.some((op) => op.op === 'classToken'));
    const first = cls.ops[cls.ops.length - 2]!;
    assert.ok(first.op === 'tokenPool' && first.kind === 'first', 'x[:, 0] reads the first token');
  });

  it('reads a single head without an output projection (to_out = nn.Identity()): q, k, v and no fourth layer', () => {
    for (const n of [network(measured[2]!), network(measured[3]!)]) {
      assert.equal(n.unsimulable, undefined);
      const attentions = walkOps(n.ops).filter((op) => op.op === 'attention');
      assert.equal(attentions.length, 3);
      for (const a of attentions) assert.ok(a.op === 'attention' && a.output === undefined && a.heads === 1 && a.headDim === 128);
      // The patch Linear, per block q, k, v, ff1, ff2, then the head.
      assert.equal(n.layers.length, 1 + 5 * 3 + 1);
    }
  });

  for (const m of measured) {
    it(`${m.id}: analytic pass within PyTorch's seed spread (stream, correlation, gradients, Linears, the head)`, () => {
      const s = simulateTokenStream(network(m), NEVER_CANCELLED, { gradientAtLogits: false });
      assert.ok(s, 'the token stream is simulated');
      const failures: string[] = [];
      const seeds = (f: (p: Seed) => number) => m.per_seed.map(f);
      const check = (what: string, predicted: number, values: number[], floor: number, absolute = false) => {
        if (!withinSeedSpread(predicted, values, floor, absolute)) failures.push(`${what}: ${predicted.toPrecision(4)} vs PyTorch ${values.map((v) => v.toPrecision(4)).join(', ')}`);
      };
      const stream = s.stream.filter((p) => p.depth === 0);
      assert.equal(stream.length, 2 * m.depth);
      check('stream input', stream[0]!.before, seeds((p) => p.input_m2), 0.03);
      stream.forEach((p, i) => {
        check(`sum ${i + 1}`, p.secondMoment, seeds((q) => q.stream_m2[i]!), 0.03);
        check(`sum ${i + 1} correlation`, p.correlation, seeds((q) => q.stream_rho[i]!), 0.015, true);
        check(`sum ${i + 1} gradient`, p.gradient, seeds((q) => q.stream_grad[i]!), 0.08);
      });
      const indices = linearIndices(m);
      indices.forEach((index, i) => {
        const layer = s.simulation.layers[index]!;
        check(`linear ${i + 1} forward`, layer.forwardVariance, seeds((p) => p.linear_fwd[i]!), 0.03);
        check(`linear ${i + 1} gradient`, layer.gradientVariance, seeds((p) => p.linear_grad[i]!), 0.08);
      });
      if (verbose) console.log(m.id, 'head', s.simulation.layers[indices[indices.length - 1]!]!.forwardVariance, 'grad', stream.map((p) => p.gradient.toPrecision(3)).join(' '));
      assert.deepEqual(failures, []);
    });

    it(`${m.id}: Monte-Carlo within PyTorch's seed spread (stream, gradients, the head)`, function () {
      this.timeout(120_000);
      const n = network(m);
      const runs = Array.from({ length: 4 }, (_, s) => {
        const run = simulateTokenMonteCarlo(n, { seed: 41 + s, batch: m.batch, gradientAtLogits: false }, NEVER_CANCELLED);
        assert.ok(run, 'the Monte-Carlo pass declined');
        return run;
      });
      const failures: string[] = [];
      const compare = (what: string, ours: number[], torch: number[], linear = false) => {
        const d = discrepancy(ours, torch, linear ? { scale: 'linear', floor: 0.01 } : { floor: 0.03 });
        if (!(d <= 1)) failures.push(`${what}: ${ours.map((v) => v.toPrecision(4)).join(', ')} vs ${torch.map((v) => v.toPrecision(4)).join(', ')}`);
      };
      for (let i = 0; i < 2 * m.depth; i++) {
        const ours = runs.map((r) => r.stream.filter((p) => p.depth === 0)[i]!);
        compare(`stream_m2[${i}]`, ours.map((p) => p.secondMoment), m.per_seed.map((p) => p.stream_m2[i]!));
        compare(`stream_rho[${i}]`, ours.map((p) => p.correlation), m.per_seed.map((p) => p.stream_rho[i]!), true);
        compare(`stream_grad[${i}]`, ours.map((p) => p.gradient), m.per_seed.map((p) => p.stream_grad[i]!));
      }
      const head = linearIndices(m).at(-1)!;
      compare('head forward', runs.map((r) => r.simulation.layers[head]!.forwardVariance), m.per_seed.map((p) => p.linear_fwd[p.linear_fwd.length - 1]!));
      compare('head gradient', runs.map((r) => r.simulation.layers[head]!.gradientVariance), m.per_seed.map((p) => p.linear_grad[p.linear_grad.length - 1]!));
      assert.deepEqual(failures, []);
    });
  }
});
