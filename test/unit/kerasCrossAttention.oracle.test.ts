/**
 * A Keras encoder–decoder (two keras.Input: source and target token ids; the decoder's
 * MultiHeadAttention(query=x, key=source, value=source) reading the encoder's output) is read as a
 * network over the target with the encoder as its memory (ir.ts MemoryOp, a cross-attention), and
 * simulated; checked against PyTorch 1.13 (test/reference/transformer/keras_cross_attention.{py,json},
 * the model of test/fixtures/rules/IW402/clean_keras_seq2seq.py written in PyTorch with Keras 3.15's
 * inits). Two epsilons, each read from the code (ir.ts NormOp.epsilon): Keras's default
 * (`LayerNormalization()`, 1e-3, `keras_epsilon`) and `LayerNormalization(epsilon=1e-5)`
 * (`small_epsilon`, the fixture with that keyword written in). Keras's default embeddings (uniform
 * ±0.05) give the stream a variance of 1.7e-3, so with 1e-3 the first LayerNorm of each stream hands
 * on 0.63, not 1: the analytic pass's stream, token correlation, gradient and memory, and the
 * Monte-Carlo pass's, are within PyTorch's seed spread or the floors (3% of a second moment, 0.015 of
 * a correlation, 8% of a gradient) for both. Before the epsilon was read, keras_epsilon's second sums
 * were ×1.57 and ×1.42 of PyTorch's and their gradients ×0.66 and ×0.72.
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
import { fixtureSettings } from '../support/fixtures';
import { pythonSupport } from '../support/python';
import { readReference } from '../support/reference';
import { discrepancy, withinSeedSpread } from '../support/seedComparison';

interface Seed { stream_m2: number[]; stream_rho: number[]; stream_grad: number[]; memory_m2: number; memory_rho: number; memory_grad: number; head_fwd: number }
interface Measured { id: string; eps: number; tokens: number; per_seed: Seed[] }

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'rules', 'IW402', 'clean_keras_seq2seq.py');
const verbose = process.env.ORACLE_VERBOSE === '1';

describe('Keras cross-attention (a second keras.Input, the encoder as the memory) vs PyTorch', () => {
  let python: PythonSupport;
  const networks = new Map<string, Network>();
  before(async () => {
    python = await pythonSupport();
    const keras = fs.readFileSync(FIXTURE, 'utf8');
    const small = keras.replaceAll('layers.LayerNormalization()', 'layers.LayerNormalization(epsilon=1e-5)');
    assert.notEqual(small, keras);
    for (const [id, text] of [['keras_epsilon', keras], ['small_epsilon', small]] as const) {
      const found = analyze({ text, languageId: 'python', python }, fixtureSettings(text)).networks.find((n) => n.name === 'transformer');
      assert.ok(found, 'no network transformer');
      networks.set(id, found);
    }
  });
  const measured = readReference<{ results: Measured[] }>('transformer/keras_cross_attention.json').results;

  it('reads the encoder as the memory and the decoder\'s second attention as a cross-attention; 20 tokens from the position tables; each LayerNorm\'s epsilon', () => {
    const network = networks.get('keras_epsilon')!;
    const epsilons = (n: Network) => [...walkOps(n.ops)].flatMap((op) => (op.op === 'norm' ? [op.epsilon] : []));
    assert.deepEqual(epsilons(network), Array(5).fill(1e-3));
    assert.deepEqual(epsilons(networks.get('small_epsilon')!), Array(5).fill(1e-5));
    assert.equal(network.unsimulable, undefined);
    assert.equal(network.tokens, 20);
    const memory = network.ops[0]!;
    assert.ok(memory.op === 'memory');
    assert.equal(memory.body.filter((op) => op.op === 'residual').length, 2);
    const attentions = network.ops.flatMap((op) => (op.op === 'residual' ? op.body : [])).filter((op) => op.op === 'attention');
    assert.deepEqual(attentions.map((a) => a.op === 'attention' && [a.causal, a.crossAttention === true]), [[true, false], [false, true]]);
  });

  for (const m of measured) it(`${m.id}: Monte-Carlo (the encoder drawn over its own source tokens) within PyTorch's seed spread`, function () {
    this.timeout(120_000);
    const network = networks.get(m.id)!;
    const runs = Array.from({ length: 4 }, (_, s) => {
      const run = simulateTokenMonteCarlo(network, { seed: 51 + s, batch: 4 }, NEVER_CANCELLED);
      assert.ok(run, 'the Monte-Carlo pass declined');
      return run;
    });
    const failures: string[] = [];
    const compare = (what: string, ours: number[], torch: number[], linear = false) => {
      const d = discrepancy(ours, torch, linear ? { scale: 'linear', floor: 0.01 } : { floor: 0.03 });
      if (!(d <= 1)) failures.push(`${what}: ${ours.map((v) => v.toPrecision(4)).join(', ')} vs ${torch.map((v) => v.toPrecision(4)).join(', ')}`);
    };
    for (let i = 0; i < 5; i++) {
      const ours = runs.map((r) => [...r.stream.filter((p) => p.memory), ...r.stream.filter((p) => !p.memory && p.depth === 0)][i]!);
      compare(`stream_m2[${i}]`, ours.map((p) => p.secondMoment), m.per_seed.map((p) => p.stream_m2[i]!));
      compare(`stream_rho[${i}]`, ours.map((p) => p.correlation), m.per_seed.map((p) => p.stream_rho[i]!), true);
      compare(`stream_grad[${i}]`, ours.map((p) => p.gradient), m.per_seed.map((p) => p.stream_grad[i]!));
    }
    compare('memory gradient', runs.map((r) => r.memory!.gradient), m.per_seed.map((p) => p.memory_grad));
    assert.deepEqual(failures, []);
  });

  for (const m of measured) {
    it(`${m.id}: the analytic pass within PyTorch's seed spread (stream, correlation, gradient, memory)`, () => {
      const s = simulateTokenStream(networks.get(m.id)!, NEVER_CANCELLED);
      assert.ok(s, 'the token stream is simulated');
      const failures: string[] = [];
      const seeds = (f: (p: Seed) => number) => m.per_seed.map(f);
      const check = (what: string, predicted: number, values: number[], floor: number, absolute = false) => {
        if (!withinSeedSpread(predicted, values, floor, absolute)) {
          failures.push(`${what}: ${predicted.toPrecision(4)} vs PyTorch ${values.map((v) => v.toPrecision(4)).join(', ')}`);
        }
      };
      // The memory's two sums (the encoder), then the decoder's three.
      const memoryPoints = s.stream.filter((p) => p.memory);
      const decoderPoints = s.stream.filter((p) => !p.memory && p.depth === 0);
      assert.equal(memoryPoints.length, 2);
      assert.equal(decoderPoints.length, 3);
      [...memoryPoints, ...decoderPoints].forEach((p, i) => {
        check(`sum ${i + 1}`, p.secondMoment, seeds((q) => q.stream_m2[i]!), 0.03);
        check(`sum ${i + 1} correlation`, p.correlation, seeds((q) => q.stream_rho[i]!), 0.015, true);
        check(`sum ${i + 1} gradient`, p.gradient, seeds((q) => q.stream_grad[i]!), 0.08);
      });
      assert.ok(s.memory);
      check('memory', s.memory.secondMoment, seeds((q) => q.memory_m2), 0.03);
      check('memory correlation', s.memory.correlation, seeds((q) => q.memory_rho), 0.015, true);
      check('memory gradient', s.memory.gradient, seeds((q) => q.memory_grad), 0.08);
      if (verbose) console.log(m.id, [...memoryPoints, ...decoderPoints].map((p) => [p.secondMoment, p.correlation, p.gradient].map((v) => v.toPrecision(4)).join('/')).join(' '), s.memory);
      assert.deepEqual(failures, []);
    });
  }
});

