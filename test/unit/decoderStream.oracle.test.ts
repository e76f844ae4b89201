/**
 * The token-stream simulation of encoder–decoder transformers (cross-attention, the memory)
 * against real PyTorch (test/reference/transformer/decoder_ground_truth.json: nn.Transformer and
 * nn.TransformerDecoder as their constructors leave them, post-LN and norm_first, causal
 * self-attention, 4 seeds): per sublayer of the encoder and of the decoder, the stream's second
 * moment and token correlation after it and the gradient at its input, each attention's logit
 * variance and Σ_j A_ij²; the memory's second moment, correlation and gradient; the gradient at
 * both inputs. Tolerances as in tokenStream.oracle.test.ts: within PyTorch's spread over its
 * seeds, or 3% (second moments) / 0.015 (correlations) where the seeds agree more closely. Some
 * floors are wider in the stacks of 6 or 12 decoder layers, each with the worst deviation
 * measured: the pre-LN stream's second moment (4%; worst 3.5% at the last GELU decoder block),
 * the gradients (a product of up to 54 per-sublayer factors, each with its finite-width error:
 * post-LN 10% for 6 decoder layers; pre-LN 6%, worst 5.4%), the logit variance of
 * their attentions (8%; worst 7.9% at the cross-attentions of nn.Transformer(num_decoder_layers=12)) and of causal self-attention behind a pre-LN stream (8%;
 * worst 7.1%: causal rows are
 * not exchangeable, attention.ts averages them over row lengths). One gap is measured and not
 * closed: the gradient the memory hands back through a GELU encoder (transformer_pre_gelu_d512)
 * is predicted 10% high at the encoder's last block and 22% at its first (a ReLU encoder of the
 * same depth is within 3%); ENCODER_GELU_GRADIENT_FLOOR covers it until the correlated
 * cotangent's path through GELU is modelled. A second gap: behind 12 post-LN decoder layers
 * whose tokens collapse (correlation → 0.999), the gradient reaching the first decoder layers is
 * predicted 3.5–5× too small (PyTorch: it falls ×80, the analytic pass says ×400); the forward
 * numbers there (stream, correlation, attention) agree. Those gradients are not compared; the
 * third describe pins the gap so that closing it shows.
 * nn.TransformerDecoder(layer, N) and nn.TransformerEncoder(layer, N) deep-copy one layer: its N
 * copies start with the same values, and the stream grows and correlates far beyond what
 * independent layers do (8 pre-LN copies: E[x²] 15.7 against 2.8). The analytic pass assumes
 * independent layers; the second describe shows it misses such stacks, which is why the Python
 * frontend reports them (IW404) and does not simulate them (docs/python.md).
 * The worst ratio per quantity is printed with ORACLE_VERBOSE=1.
 */
import * as assert from 'node:assert/strict';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { simulateTokenStream, type TokenStreamSimulation } from '../../server/src/core/simulation/tokenStream';
import { type DecoderConfig, decoderNetwork } from '../support/decoderNetworks';
import { readReference } from '../support/reference';

interface Aggregate { mean: (number | null)[]; min: (number | null)[]; max: (number | null)[] }
type StackKey = 'stream_m2' | 'stream_rho' | 'grad_in_m2' | 'logit_var' | 'attn_pii';
interface StackResults extends Record<StackKey, Aggregate> { kind: string[] }
interface Scalar { mean: number; min: number; max: number }
export interface DecoderTruth extends DecoderConfig {
  batch: number;
  results: {
    decoder: StackResults & { per_seed: Record<StackKey, (number | null)[][]> };
    encoder: (StackResults & { per_seed: Record<StackKey, (number | null)[][]> }) | null;
  } & Record<'memory_m2' | 'memory_rho' | 'memory_grad_m2' | 'out_m2' | 'out_rho' | 'tgt_grad_m2' | 'src_grad_m2', Scalar & { per_seed: number[] }>;
}

const verbose = process.env.ORACLE_VERBOSE === '1';
const MOMENT_FLOOR = 0.03;
const CORRELATION_FLOOR = 0.015;
const POST_LN_GRADIENT_FLOOR = 0.1;
const PRE_LN_GRADIENT_FLOOR = 0.06;
const CAUSAL_LOGIT_FLOOR = 0.08;
const DEEP_LOGIT_FLOOR = 0.08;

/** Post-LN decoders of 12 layers: the gradient through them is a known gap (see above). */
function deepPostLN(config: DecoderConfig): boolean {
  return !config.norm_first && config.decoder_layers >= 12;
}
const DEEP_MOMENT_FLOOR = 0.04;
const ENCODER_GELU_GRADIENT_FLOOR = 0.25;

/** A bare nn.TransformerDecoder of more than one layer: its copies share their initial values. */
export function identicalCopies(config: DecoderConfig): boolean {
  return config.kind === 'decoder' && config.decoder_layers > 1;
}

function excess(predicted: number, mean: number, spread: number, floor: number, absolute: boolean): number {
  const allowed = Math.max(spread, absolute ? floor : floor * Math.abs(mean));
  return Math.abs(predicted - mean) / allowed;
}

function sampleFactor(rows: readonly number[]): number {
  return rows.reduce((s, n) => s + (n - 1) / n, 0) / rows.length;
}

export function decoderSimulation(config: DecoderConfig): TokenStreamSimulation {
  const sim = simulateTokenStream(decoderNetwork(config), NEVER_CANCELLED, {
    gradientAtLogits: false, inputCorrelation: config.input.rho_tgt, memoryCorrelation: config.input.rho_src,
  });
  assert.ok(sim, `${config.id}: the analytic pass declined`);
  return sim;
}

describe('encoder–decoder token stream vs PyTorch (nn.Transformer, nn.TransformerDecoder)', () => {
  const truth = readReference<{ configs: DecoderTruth[] }>('transformer/decoder_ground_truth.json');

  for (const config of truth.configs.filter((c) => !identicalCopies(c))) {
    it(`${config.id}: encoder, memory, decoder and cross-attention per sublayer`, () => {
      const sim = decoderSimulation(config);
      const r = config.results;
      const worst: Record<string, number> = {};
      const note = (key: string, ratio: number) => { worst[key] = Math.max(worst[key] ?? 0, ratio); };
      const gradientFloor = config.decoder_layers < 6 ? MOMENT_FLOOR : config.norm_first ? PRE_LN_GRADIENT_FLOOR : POST_LN_GRADIENT_FLOOR;
      const stacks = [
        { name: 'encoder', results: r.encoder, points: sim.stream.filter((p) => p.depth === 0 && p.memory), tokens: config.src_tokens },
        { name: 'decoder', results: r.decoder, points: sim.stream.filter((p) => p.depth === 0 && !p.memory), tokens: config.tgt_tokens },
      ];
      let attention = 0;
      for (const stack of stacks) {
        if (!stack.results) {
          assert.equal(stack.points.length, 0);
          continue;
        }
        const s = stack.results;
        assert.equal(stack.points.length, s.stream_m2.mean.length, `${stack.name} sublayers`);
        stack.points.forEach((point, i) => {
          const spread = (a: Aggregate) => a.max[i]! - a.min[i]!;
          const m = config.norm_first ? point.secondMoment : 1;
          // Post-LN: PyTorch's stream after the sublayer is the normalised sum, as in tokenStream.oracle.test.ts.
          const rho = point.correlation;
          note(`${stack.name}.m`, excess(m, s.stream_m2.mean[i]!, spread(s.stream_m2), config.decoder_layers < 6 ? MOMENT_FLOOR : DEEP_MOMENT_FLOOR, false));
          note(`${stack.name}.rho`, excess(rho, s.stream_rho.mean[i]!, spread(s.stream_rho), CORRELATION_FLOOR, true));
          const floor = stack.name === 'encoder' && config.activation === 'gelu' ? ENCODER_GELU_GRADIENT_FLOOR : gradientFloor;
          if (!(stack.name === 'decoder' && deepPostLN(config))) note(`${stack.name}.g`, excess(point.gradient, s.grad_in_m2.mean[i]!, spread(s.grad_in_m2), floor, false));
          if (s.logit_var.mean[i] !== null) {
            const a = sim.attention[attention++]!;
            const kind = s.kind[i]!;
            assert.equal(a.op.crossAttention === true, kind === 'cross_attention', `${stack.name} sublayer ${i}: ${kind}`);
            const keys = kind === 'cross_attention' ? [config.src_tokens] : a.op.causal ? Array.from({ length: stack.tokens }, (_, k) => k + 1) : [stack.tokens];
            const logitFloor = config.decoder_layers < 6 ? MOMENT_FLOOR : a.op.causal && config.norm_first ? CAUSAL_LOGIT_FLOOR : DEEP_LOGIT_FLOOR;
            note(`${stack.name}.${kind}.v`, excess(a.logitVariance * sampleFactor(keys), s.logit_var.mean[i]!, spread(s.logit_var), logitFloor, false));
            note(`${stack.name}.${kind}.p2`, excess(a.p2, s.attn_pii.mean[i]!, spread(s.attn_pii), MOMENT_FLOOR, false));
          }
        });
      }
      assert.equal(attention, sim.attention.length);
      const memory = sim.memory;
      assert.ok(memory);
      const scalar = (key: string, predicted: number, x: Scalar, floor: number, absolute = false) =>
        note(key, excess(predicted, x.mean, x.max - x.min, floor, absolute));
      scalar('memory.m', memory.secondMoment, r.memory_m2, MOMENT_FLOOR);
      scalar('memory.rho', memory.correlation, r.memory_rho, CORRELATION_FLOOR, true);
      const encoderFloor = config.activation === 'gelu' && config.encoder_layers > 0 ? ENCODER_GELU_GRADIENT_FLOOR : gradientFloor;
      scalar('memory.g', memory.gradient, r.memory_grad_m2, encoderFloor);
      scalar('src.g', memory.inputGradient, r.src_grad_m2, encoderFloor);
      scalar('out.m', sim.simulation.outputVariance, r.out_m2, MOMENT_FLOOR);
      scalar('out.rho', sim.outputCorrelation, r.out_rho, CORRELATION_FLOOR, true);
      if (!deepPostLN(config)) scalar('tgt.g', sim.simulation.inputGradientVariance, r.tgt_grad_m2, gradientFloor);
      if (verbose) console.log(config.id, JSON.stringify(Object.fromEntries(Object.entries(worst).map(([k, v]) => [k, Number(v.toFixed(2))]))));
      for (const [quantity, ratio] of Object.entries(worst)) assert.ok(ratio <= 1, `${quantity}: ${ratio.toFixed(2)}× the allowed deviation`);
    });
  }
});

describe('nn.TransformerDecoder(layer, N): identical copies are beyond the independent-layer simulation', () => {
  const truth = readReference<{ configs: DecoderTruth[] }>('transformer/decoder_ground_truth.json');

  for (const config of truth.configs.filter(identicalCopies)) {
    it(`${config.id}: the last block's token correlation is off by more than the tolerance`, () => {
      const sim = decoderSimulation(config);
      const points = sim.stream.filter((p) => p.depth === 0 && !p.memory);
      const last = points.length - 1;
      const s = config.results.decoder.stream_rho;
      assert.ok(excess(points[last]!.correlation, s.mean[last]!, s.max[last]! - s.min[last]!, CORRELATION_FLOOR, true) > 1.5,
        `${points[last]!.correlation} vs PyTorch ${s.mean[last]}`);
    });
  }
});

describe('post-LN decoders of 12 layers: the gradient gap, pinned', () => {
  const truth = readReference<{ configs: DecoderTruth[] }>('transformer/decoder_ground_truth.json');

  for (const config of truth.configs.filter(deepPostLN)) {
    it(`${config.id}: the first decoder sublayer's gradient is 3.5–5× below PyTorch's`, () => {
      const first = decoderSimulation(config).stream.find((p) => p.depth === 0 && !p.memory)!;
      const ratio = first.gradient / config.results.decoder.grad_in_m2.mean[0]!;
      assert.ok(ratio > 0.2 && ratio < 0.3, `analytic / PyTorch = ${ratio}`);
    });
  }
});
