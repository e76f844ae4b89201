/** IW402 residual-stream-growth: a residual stream whose variance grows with depth because no branch is scaled for it. */
import type { Fix, RelatedInformation, TextEdit } from '../findings';
import { formatNumber } from '../format/numbers';
import type { WeightLayer } from '../ir';
import type { StreamPoint } from '../simulation/tokenStream';
import type { Span } from '../text';
import { branchEnd, tokenStreamOf } from './tokenStreamFindings';
import type { ReportedFinding, Rule } from './types';

/**
 * How far the stream may grow over the stack, relative to max(its input, 1): a pre-norm branch
 * works on a unit-variance normalised input, so 1 is the scale it adds to, and a tiny embedding
 * (nanoGPT's std 0.02) is not growth the branches cause. Each unscaled branch adds its own second
 * moment, so N branches of size σ² end near 1 + N·σ²: 12-block std-0.02 stacks at width 768
 * (BERT, ViT-B, GPT-2 without its c_proj scaling) reach ×2.7, T5-small ×5.6, the Xavier pre-LN
 * stack of the oracle ×20 over 48 branches (test/reference/transformer, measured in PyTorch).
 * Past an order of magnitude the last blocks' updates are diluted tenfold and the LayerNorm
 * backward hands the first blocks a gradient many times the last ones' (PyTorch: ×13 there).
 */
export const STREAM_GROWTH_LIMIT = 10;

export const IW402: Rule = {
  meta: {
    code: 'IW402',
    name: 'residual-stream-growth',
    defaultSeverity: 'warning',
    summary: 'In a deep residual stack whose branches add unscaled outputs, the simulated stream variance grows with depth beyond ×10 (GPT-2 scales branch outputs by 1/√(2·n_layer)).',
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        'Simulates the residual stream of a network over tokens (transformers: pre-LN, post-LN, RMSNorm, gates) and reports ' +
        'when its second moment grows by more than ×10 from the first residual branch to the last (relative to the larger of ' +
        'its input and the unit scale pre-norm branches work at), with the growth and the ' +
        'gradient reaching the first block (an encoder–decoder\'s two streams, the encoder\'s and the decoder\'s, each on its own). Quiet wherever branch outputs are scaled for depth (GPT-2/nanoGPT’s ' +
        '1/√(2·n_layer) on c_proj, DeepNet’s β, T-Fixup) or gated by a small learnable scale (LayerScale, ReZero, SkipInit): ' +
        'the simulation sees their effect on the numbers.',
      whyItMatters:
        'Pre-LN blocks re-normalise their input but add their output unscaled, so the stream’s variance grows linearly with ' +
        'depth: each later block changes the stream relatively less, and the first blocks receive a gradient several times ' +
        'the last ones’ (Xiong et al. 2020). GPT-2 divides the output projections’ std by √(2·n_layer) for exactly this.',
      example:
        'network decoder framework=pytorch {\n  input 512 tokens=256\n  repeat 24 {\n    residual {\n      layernorm\n      attention 8 init=normal(std=0.05)\n    }\n' +
        '    residual {\n      layernorm\n      dense 2048 activation=gelu init=normal(std=0.05)\n      dense 512 init=normal(std=0.05)\n    }\n  }\n}',
      useInstead:
        'network decoder framework=pytorch {\n  input 512 tokens=256\n  repeat 24 {\n    residual {\n      layernorm\n      attention 8 init=normal(std=0.05) out_init=normal(std=0.05/sqrt(2*24))\n    }\n' +
        '    residual {\n      layernorm\n      dense 2048 activation=gelu init=normal(std=0.05)\n      dense 512 init=normal(std=0.05/sqrt(2*24))\n    }\n  }\n}',
      fixSafety:
        '"Scale the branch outputs by 1/√(2·n_layer)" is unsafe (it changes training numerics) and offered only when every ' +
        'branch ends in a fixed-std initializer it can divide, in the file’s idiom (nanoGPT’s std=0.02/math.sqrt(2 * n_layer)).',
      whenNotToApply:
        'Post-LN stacks (BERT) normalise the stream after every block and never grow; 12-block std-0.02 stacks (×2.7) and ' +
        'T5-small (×5.6) stay under ×10. ' +
        'Models loaded from pretrained weights are not judged.',
      references: [
        'Radford et al. 2019, GPT-2 (§2.3: residual weights scaled by 1/√N)',
        'Xiong et al. 2020, On Layer Normalization in the Transformer Architecture, https://arxiv.org/abs/2002.04745',
        'Wang et al. 2022, DeepNet, https://arxiv.org/abs/2203.00555',
        'Touvron et al. 2021, CaiT (LayerScale), https://arxiv.org/abs/2103.17239',
      ],
    },
  },
  check({ network, report }) {
    const stream = tokenStreamOf(network);
    if (!stream) return;
    // An encoder–decoder has two streams (the encoder's makes the memory): each is judged on its own.
    for (const memory of [true, false]) {
      const points = stream.stream.filter((p) => p.depth === 0 && (p.memory === true) === memory);
      checkStream(points, memory, network.nameSpan, report);
    }
  },
};

function checkStream(points: readonly StreamPoint[], memory: boolean, span: Span, report: (finding: ReportedFinding) => void): void {
  if (points.length < 2) return;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const reference = Math.max(first.before, 1);
  const growth = last.secondMoment / reference;
  if (!(growth > STREAM_GROWTH_LIMIT)) return;
  const ends: WeightLayer[] = [];
  const seen = new Set<number>();
  for (const point of points) {
    const end = branchEnd(point.op.body);
    if (!end || seen.has(end.span.start)) continue;
    seen.add(end.span.start);
    ends.push(end);
  }
  const gradientRatio = first.gradient / last.gradient;
  const related: RelatedInformation[] = ends.map((layer) => ({ span: layer.kindSpan, message: 'this branch adds its output to the stream unscaled' }));
  report({
    span,
    message:
      `The ${memory ? 'encoder\'s ' : ''}residual stream's second moment grows ×${formatNumber(growth)} over ${points.length} residual branches at init ` +
      `(${formatNumber(first.before)} → ${formatNumber(last.secondMoment)}, relative to ${first.before < 1 ? 'the unit scale pre-norm branches work at' : 'its input'}; limit ×${STREAM_GROWTH_LIMIT}): no branch output is scaled for depth. ` +
      `The last blocks' updates are diluted ×${formatNumber(1 / growth)} and the gradient reaching the first block is ×${formatNumber(gradientRatio)} the last one's. ` +
      `Scale each branch's output projection by 1/√${points.length} (GPT-2: std=0.02/√(2·n_layer)), or gate the branches (LayerScale, ReZero).`,
    related,
    fixes: depthScalingFix(ends, points.length),
  });
}

/** One edit per branch-ending statement, all or nothing (a partial scaling would not give the promised numbers). */
function depthScalingFix(ends: readonly WeightLayer[], branches: number): Fix[] {
  const edits: TextEdit[] = [];
  for (const layer of ends) {
    const layerEdits = layer.fixes.scaleStdForDepth?.(branches);
    if (!layerEdits) return [];
    edits.push(...layerEdits);
  }
  const divisor = branches % 2 === 0 ? `√(2·${branches / 2})` : `√${branches}`;
  return edits.length > 0 ? [{ title: `Scale the branch outputs' std by 1/${divisor}`, applicability: 'unsafe', edits }] : [];
}
