/**
 * vit-pytorch's fixed 2-D sin-cos position table (`posemb_sincos_2d(h, w, dim)` in simple_vit.py)
 * read from its definition (interpreter/sinCos2dTables.ts) and simulated (issue 15): added whole to
 * the patch tokens, so its h·w rows are the stream's tokens; its mean square (1/2), its rows' cross
 * moment and their own means over all its rows from the definition (simulation/sinCos2dTable.ts),
 * LayerNorm removing those means per token. Checked against PyTorch
 * (test/reference/transformer/sincos2d_position.json: the table's statistics exactly; every residual
 * sum's second moment, token correlation and gradient, and the Linears, within PyTorch's seed
 * spread analytically and by Monte-Carlo) on test/fixtures/rules/IW402/clean_simple_vit.py.
 * Anything else in the function leaves the table unknown.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { Network } from '../../server/src/core/ir';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { sinCos2dStatistics } from '../../server/src/core/simulation/sinCos2dTable';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { simulateTokenMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import { pythonSupport } from '../support/python';
import { readReference } from '../support/reference';
import { discrepancy, withinSeedSpread } from '../support/seedComparison';

interface Seed { input_m2: number; input_rho: number; stream_m2: number[]; stream_rho: number[]; stream_grad: number[]; linear_fwd: number[]; linear_grad: number[] }
interface Measured {
  id: string; grid_h: number; grid_w: number; dim: number; depth: number; batch: number; temperature: number;
  table_m2: number; table_c: number; table_mu2: number; table_muc: number; per_seed: Seed[];
}

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'rules', 'IW402', 'clean_simple_vit.py');
const fixture = fs.readFileSync(FIXTURE, 'utf8');

describe('python: vit-pytorch\'s 2-D sin-cos position table (posemb_sincos_2d)', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const measured = readReference<{ results: Measured[] }>('transformer/sincos2d_position.json').results;
  const network = (text: string, name: string): Network => {
    const found = analyze({ text, languageId: 'python', python }).networks.find((n) => n.name === name);
    assert.ok(found, `no network ${name}`);
    return found;
  };

  it('reads the table from the function: an 8×8 and a 6×12 grid of 128 columns, base 10000; its rows are the tokens, stated by the call', () => {
    for (const [name, h, w] of [['square_grid', 8, 8], ['rectangular_grid', 6, 12]] as const) {
      const n = network(fixture, name);
      assert.equal(n.unsimulable, undefined);
      const pos = n.ops.find((op) => op.op === 'positionTable');
      assert.ok(pos?.op === 'positionTable');
      assert.deepEqual(pos.fixed, { kind: 'sincos2d', base: 10000, width: 128, gridHeight: h, gridWidth: w, rows: h * w });
      assert.equal(pos.label, `2-D sin-cos (${h}×${w} patches, base 10000)`);
      assert.equal(n.tokens, h * w);
      assert.equal(n.tokensFrom, '(image_height // patch_height) × (image_width // patch_width)');
    }
  });

  it('the table\'s statistics over its rows are PyTorch\'s (float64 sums of the definition: 1e-12)', () => {
    for (const m of measured) {
      const s = sinCos2dStatistics({ kind: 'sincos2d', base: m.temperature, width: m.dim, gridHeight: m.grid_h, gridWidth: m.grid_w, rows: m.grid_h * m.grid_w });
      for (const [what, ours, torch] of [['m2', s.secondMoment, m.table_m2], ['cross', s.cross, m.table_c], ['mean²', s.meanSquare, m.table_mu2], ['mean cross', s.meanCross, m.table_muc]] as const) {
        assert.ok(Math.abs(ours - torch) < 1e-12, `${m.id}: ${what} ${ours} vs ${torch}`);
      }
    }
  });

  for (const m of measured) {
    it(`${m.id}: analytic pass within PyTorch's seed spread (input, every sum's second moment, correlation and gradient, the Linears)`, () => {
      const s = simulateTokenStream(network(fixture, m.id), NEVER_CANCELLED, { gradientAtLogits: false });
      assert.ok(s, 'the token stream is simulated');
      const failures: string[] = [];
      const seeds = (f: (p: Seed) => number) => m.per_seed.map(f);
      const check = (what: string, predicted: number, values: number[], floor: number, absolute = false) => {
        if (!withinSeedSpread(predicted, values, floor, absolute)) failures.push(`${what}: ${predicted.toPrecision(4)} vs PyTorch ${values.map((v) => v.toPrecision(4)).join(', ')}`);
      };
      const stream = s.stream.filter((p) => p.depth === 0);
      assert.equal(stream.length, 2 * m.depth);
      check('input', stream[0]!.before, seeds((p) => p.input_m2), 0.01);
      stream.forEach((p, i) => {
        check(`sum ${i + 1}`, p.secondMoment, seeds((q) => q.stream_m2[i]!), 0.03);
        check(`sum ${i + 1} correlation`, p.correlation, seeds((q) => q.stream_rho[i]!), 0.015, true);
        check(`sum ${i + 1} gradient`, p.gradient, seeds((q) => q.stream_grad[i]!), 0.08);
      });
      // network.layers: the patch Linear, per block q, k, v, to_out, ff1, ff2, then the head.
      const indices = [0, ...Array.from({ length: m.depth }, (_, b) => [4 + 6 * b, 5 + 6 * b, 6 + 6 * b]).flat(), 1 + 6 * m.depth];
      indices.forEach((index, i) => {
        const layer = s.simulation.layers[index]!;
        check(`linear ${i + 1} forward`, layer.forwardVariance, seeds((p) => p.linear_fwd[i]!), 0.03);
        check(`linear ${i + 1} gradient`, layer.gradientVariance, seeds((p) => p.linear_grad[i]!), 0.08);
      });
      assert.deepEqual(failures, []);
    });

    it(`${m.id}: Monte-Carlo (the table's rows as PyTorch computes them) within PyTorch's seed spread`, function () {
      this.timeout(120_000);
      const n = network(fixture, m.id);
      const runs = Array.from({ length: 4 }, (_, s) => {
        const run = simulateTokenMonteCarlo(n, { seed: 61 + s, batch: m.batch, gradientAtLogits: false }, NEVER_CANCELLED);
        assert.ok(run, 'the Monte-Carlo pass declined');
        assert.equal(run.tokens, m.grid_h * m.grid_w);
        return run.stream.filter((p) => p.depth === 0);
      });
      const failures: string[] = [];
      const compare = (what: string, ours: number[], torch: number[], linear = false) => {
        const d = discrepancy(ours, torch, linear ? { scale: 'linear', floor: 0.01 } : { floor: 0.03 });
        if (!(d <= 1)) failures.push(`${what}: ${ours.map((v) => v.toPrecision(4)).join(', ')} vs ${torch.map((v) => v.toPrecision(4)).join(', ')}`);
      };
      for (let i = 0; i < 2 * m.depth; i++) {
        compare(`stream_m2[${i}]`, runs.map((r) => r[i]!.secondMoment), m.per_seed.map((p) => p.stream_m2[i]!));
        compare(`stream_rho[${i}]`, runs.map((r) => r[i]!.correlation), m.per_seed.map((p) => p.stream_rho[i]!), true);
        compare(`stream_grad[${i}]`, runs.map((r) => r[i]!.gradient), m.per_seed.map((p) => p.stream_grad[i]!));
      }
      assert.deepEqual(failures, []);
    });
  }

  it('the other spellings: `temperature ** -omega`, the four blocks in another order, no cast on the result', () => {
    const variants: [string, string][] = [
      ['temperature ** -omega', fixture.replace('omega = 1.0 / (temperature ** omega)', 'omega = temperature ** -omega')],
      ['y first', fixture.replace('pe = torch.cat((x.sin(), x.cos(), y.sin(), y.cos()), dim=1)', 'pe = torch.cat((y.sin(), y.cos(), x.sin(), x.cos()), dim=1)')],
      ['no cast', fixture.replace('return pe.type(dtype)', 'return pe')],
    ];
    for (const [what, text] of variants) {
      const n = network(text, 'square_grid');
      assert.equal(n.unsimulable, undefined, what);
      const pos = n.ops.find((op) => op.op === 'positionTable');
      assert.ok(pos?.op === 'positionTable' && pos.fixed?.kind === 'sincos2d', what);
    }
  });

  const UNKNOWN: readonly [string, string][] = [
    ['sin twice', fixture.replace('pe = torch.cat((x.sin(), x.cos(), y.sin(), y.cos()), dim=1)', 'pe = torch.cat((x.sin(), x.sin(), y.sin(), y.cos()), dim=1)')],
    ['"xy" indexing', fixture.replace('indexing="ij"', 'indexing="xy"')],
    ['another frequency denominator', fixture.replace('omega = torch.arange(dim // 4) / (dim // 4 - 1)', 'omega = torch.arange(dim // 4) / (dim // 4)')],
    ['a table scaled before it is returned', fixture.replace('    return pe.type(dtype)', '    pe = pe * 0.1\n    return pe.type(dtype)')],
    ['positions from 1', fixture.replace('torch.arange(h), torch.arange(w)', 'torch.arange(1, h + 1), torch.arange(1, w + 1)')],
    ['concatenated along the rows', fixture.replace('y.sin(), y.cos()), dim=1)', 'y.sin(), y.cos()), dim=0)')],
  ];
  for (const [what, text] of UNKNOWN) {
    it(`${what}: not read as the table, not simulated, nothing reported`, () => {
      const n = network(text, 'square_grid');
      assert.ok(n.unsimulable, what);
      assert.deepEqual(analyze({ text, languageId: 'python', python }).findings.map((f) => f.code), []);
    });
  }
});
