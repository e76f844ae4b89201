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
        '"Scale the branch outputs\' std by 1/√(2·n_layer)" is unsafe (it changes training numerics) and offered only when every ' +
        'branch ends in a fixed-std initializer (normal or truncated normal with its std written) it can divide, in the file’s ' +
        'idiom. In `.netdef` the std is divided where it is written. In PyTorch code, an init call that sets only branch ' +
        'outputs gets its std divided in place (`std=0.02/math.sqrt(2 * config.n_layer)`); where one init function applied ' +
        'with `self.apply(self._init_weights)` also sets every other layer, nanoGPT’s own loop is inserted after the apply ' +
        '(`for pn, p in self.named_parameters(): if pn.endswith(\'c_proj.weight\'): …`), its suffixes matching exactly the ' +
        'branch outputs. The layer count is written as the code spells it where the edit goes (the argument of the `range(…)` ' +
        'the blocks are built with, a literal only when the code writes one), `math.sqrt` only where math is imported (else ' +
        '`** 0.5`). No fix where no such name is in scope, or the init call also sets other layers outside an `apply`.',
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
      checkStream(points, memory, network.nameSpan, network.layers, report);
    }
  },
};

function checkStream(points: readonly StreamPoint[], memory: boolean, span: Span, layers: readonly WeightLayer[], report: (finding: ReportedFinding) => void): void {
  if (points.length < 2) return;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const reference = Math.max(first.before, 1);
  const growth = last.secondMoment / reference;
  if (!(growth > STREAM_GROWTH_LIMIT)) return;
  // Every branch's end (a block built in a loop: one per pass), and each statement once for the notes.
  const instances: WeightLayer[] = [];
  const ends: WeightLayer[] = [];
  const seen = new Set<number>();
  for (const point of points) {
    const end = branchEnd(point.op.body);
    if (!end) continue;
    instances.push(end);
    if (seen.has(end.span.start)) continue;
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
    fixes: instances.length === points.length ? depthScalingFix(layers, instances, points.length) : [],
  });
}

/**
 * The branch ends grouped by the init that set them (one init call in a block sets every pass's
 * layer; one `_init_weights` may set every Linear): each group's edits from its first builder,
 * which sees the whole group and how many layers of the network its init sets. All or nothing
 * (a partial scaling would not give the promised numbers), and never two edits that overlap.
 */
function depthScalingFix(layers: readonly WeightLayer[], ends: readonly WeightLayer[], branches: number): Fix[] {
  const groups = new Map<string, WeightLayer[]>();
  for (const end of ends) {
    const key = initKey(end);
    const group = groups.get(key);
    if (group) group.push(end);
    else groups.set(key, [end]);
  }
  const edits: TextEdit[] = [];
  for (const [key, group] of groups) {
    const sharing = group[0]!.init.span ? layers.filter((layer) => initKey(layer) === key).length : group.length;
    const groupEdits = group[0]!.fixes.scaleStdForDepth?.(branches, group.map((layer) => layer.fixes), sharing);
    if (!groupEdits) return [];
    for (const edit of groupEdits) if (!edits.some((e) => sameEdit(e, edit))) edits.push(edit);
  }
  const sorted = [...edits].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  if (sorted.some((edit, i) => i > 0 && edit.span.start < sorted[i - 1]!.span.end + (edit.span.start === edit.span.end ? 1 : 0))) return [];
  const divisor = branches % 2 === 0 ? `√(2·${branches / 2})` : `√${branches}`;
  return edits.length > 0 ? [{ title: `Scale the branch outputs' std by 1/${divisor}`, applicability: 'unsafe', edits }] : [];
}

/** The init that set a layer: its call or expression, or (a default) the layer itself. */
function initKey(layer: WeightLayer): string {
  const span = layer.init.span;
  return span ? `init:${span.start}:${span.end}` : `layer:${layer.span.start}:${layer.span.end}`;
}

function sameEdit(a: TextEdit, b: TextEdit): boolean {
  return a.span.start === b.span.start && a.span.end === b.span.end && a.newText === b.newText;
}
