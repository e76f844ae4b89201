/**
 * The Monte-Carlo engine's contract: deterministic per seed, cancellable inside a layer,
 * bounded by its time budget (whole seeds only), progress counted per layer step, every
 * op of the IR run for real, and agreement with the analytic pass where mean field is
 * exact enough (wide, shallow networks). PyTorch agreement: montecarlo.oracle.test.ts.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import { AnalysisCancelled, NEVER_CANCELLED, type CancellationSignal } from '../../server/src/core/cancellation';
import type { Network } from '../../server/src/core/ir';
import { simulateAnalytic } from '../../server/src/core/simulation/analytic';
import { estimateMemoryBytes, MAX_MEMORY_BYTES, simulateMonteCarlo } from '../../server/src/core/simulation/montecarlo';

function network(text: string): Network {
  const { networks, findings } = analyze({ text, languageId: 'netdef' });
  assert.deepEqual(findings.filter((f) => f.code === 'IW001'), []);
  assert.equal(networks.length, 1);
  return networks[0]!;
}

const MLP = network(`network mlp framework=pytorch {
  input 64
  repeat 4 {
    dense 64 activation=relu init=he_normal
  }
  dense 10 init=glorot_uniform
}`);

/**
 * Every op kind at widths where mean field is accurate to a few per cent per layer.
 * BatchNorm sits on a zero-mean input: after a ReLU it divides the gradient by the
 * variance, not the second moment the analytic pass uses (×1.47 for ReLU), and there the
 * Monte-Carlo number is the one PyTorch would give.
 */
const EVERY_OP = network(`network every_op framework=pytorch {
  input 8x12x12
  conv2d 32 kernel=3 stride=2 padding=1 init=he_normal
  batchnorm
  activation relu
  conv2d 64 kernel=3 padding=same groups=4 init=he_normal
  activation relu
  dropout 0.1
  flatten
  dense 512 activation=tanh init=glorot_uniform
  layernorm
  residual scale=0.5 {
    dense 512 activation=selu init=lecun_normal
    alphadropout 0.2
    dense 512 init=lecun_normal
  }
  dense 10 init=glorot_uniform
}`);

describe('Monte-Carlo simulation', () => {
  it('is deterministic for a seed and changes with it', () => {
    const a = simulateMonteCarlo(MLP, { seed: 3, batch: 32 }, NEVER_CANCELLED);
    const b = simulateMonteCarlo(MLP, { seed: 3, batch: 32 }, NEVER_CANCELLED);
    const c = simulateMonteCarlo(MLP, { seed: 4, batch: 32 }, NEVER_CANCELLED);
    assert.ok(a && b && c);
    assert.equal(a.method, 'montecarlo');
    assert.deepEqual(a, b);
    assert.notEqual(a.layers[4]!.forwardVariance, c.layers[4]!.forwardVariance);
  });

  it('reports the spread over seeds as the band, around the mean', () => {
    const sim = simulateMonteCarlo(MLP, { seed: 3, batch: 32, seeds: 4 }, NEVER_CANCELLED);
    assert.ok(sim);
    for (const layer of sim.layers) {
      assert.ok(layer.forwardBand && layer.gradientBand);
      assert.ok(layer.forwardBand[0] < layer.forwardBand[1]);
      assert.ok(layer.forwardVariance >= layer.forwardBand[0] && layer.forwardVariance <= layer.forwardBand[1]);
      assert.ok(layer.gradientVariance >= layer.gradientBand[0] && layer.gradientVariance <= layer.gradientBand[1]);
    }
    const single = simulateMonteCarlo(MLP, { seed: 3, batch: 32 }, NEVER_CANCELLED);
    assert.equal(single?.layers[0]!.forwardBand, undefined);
  });

  it('stops inside a layer when cancelled', () => {
    let reads = 0;
    // Fires after a few checkpoints: well inside the first seed's forward pass.
    const signal: CancellationSignal = { get aborted() { return ++reads > 5; } };
    assert.throws(() => simulateMonteCarlo(EVERY_OP, { seed: 1, batch: 16 }, signal), AnalysisCancelled);
  });

  it('keeps whole seeds within the time budget, and nothing when the first does not fit', () => {
    let clock = 0;
    const now = () => (clock += 1); // one "millisecond" per checkpoint
    const full = simulateMonteCarlo(MLP, { seed: 1, batch: 16, seeds: 3, now, timeBudgetMs: 1e12 }, NEVER_CANCELLED);
    const checkpointsPerSeed = clock / 3;
    clock = 0;
    const partial = simulateMonteCarlo(MLP, { seed: 1, batch: 16, seeds: 3, now, timeBudgetMs: checkpointsPerSeed * 1.5 }, NEVER_CANCELLED);
    assert.ok(full && partial);
    // One seed done: no band, and exactly seed 0's numbers (the first seed of the full run).
    const first = simulateMonteCarlo(MLP, { seed: 1, batch: 16, seeds: 1 }, NEVER_CANCELLED);
    assert.deepEqual(partial, first);
    clock = 0;
    assert.equal(simulateMonteCarlo(MLP, { seed: 1, batch: 16, now, timeBudgetMs: checkpointsPerSeed / 2 }, NEVER_CANCELLED), undefined);
  });

  it('reports progress per layer step, ending at the total', () => {
    const seen: [number, number][] = [];
    simulateMonteCarlo(MLP, { seed: 1, batch: 8, seeds: 2, onProgress: (done, total) => seen.push([done, total]) }, NEVER_CANCELLED);
    assert.equal(seen.length, 2 * 2 * MLP.layers.length);
    assert.deepEqual(seen.at(-1), [20, 20]);
  });

  it('runs every op and agrees with mean field on a wide, shallow network', () => {
    const mc = simulateMonteCarlo(EVERY_OP, { seed: 11, batch: 64, seeds: 2 }, NEVER_CANCELLED);
    const mf = simulateAnalytic(EVERY_OP, NEVER_CANCELLED);
    assert.ok(mc && mf);
    EVERY_OP.layers.forEach((layer, i) => {
      const f = mc.layers[i]!.forwardVariance / mf.layers[i]!.forwardVariance;
      const g = mc.layers[i]!.gradientVariance / mf.layers[i]!.gradientVariance;
      const where = `layer ${i} (${layer.kind})`;
      assert.ok(Number.isFinite(f) && Math.abs(Math.log(f)) < Math.log(1.25), `${where} forward ratio ${f}`);
      assert.ok(Number.isFinite(g) && Math.abs(Math.log(g)) < Math.log(1.25), `${where} gradient ratio ${g}`);
    });
  });

  it('starts the backward pass at the logits of a sigmoid head, as the analytic pass does', () => {
    const net = network(`network head framework=pytorch {
  input 512
  dense 512 activation=tanh init=glorot_uniform
  dense 16 activation=sigmoid init=glorot_uniform
}`);
    const atLogits = simulateMonteCarlo(net, { seed: 4, batch: 256 }, NEVER_CANCELLED);
    const afterHead = simulateMonteCarlo(net, { seed: 4, batch: 256, gradientAtLogits: false }, NEVER_CANCELLED);
    const mf = simulateAnalytic(net, NEVER_CANCELLED);
    assert.ok(atLogits && afterHead && mf);
    const ratio = atLogits.layers[1]!.gradientVariance / mf.layers[1]!.gradientVariance;
    assert.ok(Math.abs(Math.log(ratio)) < Math.log(1.2), `head gradient ratio to mean field ${ratio}`);
    // Through the sigmoid, E[σ′(h)²] ≤ 1/16 shrinks the gradient.
    assert.ok(afterHead.layers[1]!.gradientVariance < atLogits.layers[1]!.gradientVariance / 10);
  });

  it('draws an embedding table row by row and measures the one-hot gradient', () => {
    const net = network(`network tokens framework=pytorch {
  embedding 1000 256 init=normal(std=0.02)
  dense 256 activation=relu init=he_normal
}`);
    const mc = simulateMonteCarlo(net, { seed: 2, batch: 128 }, NEVER_CANCELLED);
    const mf = simulateAnalytic(net, NEVER_CANCELLED);
    assert.ok(mc && mf);
    assert.ok(Math.abs(mc.layers[0]!.forwardVariance / 0.0004 - 1) < 0.05, `${mc.layers[0]!.forwardVariance}`);
    assert.ok(Math.abs(Math.log(mc.layers[0]!.gradientVariance / mf.layers[0]!.gradientVariance)) < Math.log(1.2));
  });

  it('declines a network whose activations would not fit in memory', () => {
    const huge = network(`network imagenet framework=pytorch {
  input 3x224x224
  repeat 40 {
    conv2d 64 kernel=3 padding=1 activation=relu init=he_normal
  }
}`);
    assert.ok(estimateMemoryBytes(huge, 32) > MAX_MEMORY_BYTES);
    assert.equal(simulateMonteCarlo(huge, { seed: 1, batch: 32 }, NEVER_CANCELLED), undefined);
  });

  it('declines networks it cannot draw', () => {
    const unknown = analyze({ text: 'network n {\n  input 8\n  dense 8 activation=reluu\n}\n', languageId: 'netdef' }).networks[0]!;
    assert.equal(simulateMonteCarlo(unknown, { seed: 1, batch: 4 }, NEVER_CANCELLED), undefined);
  });
});
