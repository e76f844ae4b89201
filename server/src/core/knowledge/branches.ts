/**
 * Layers inside a residual branch that starts with normalisation (pre-LN transformers,
 * pre-activation ResNets): y = x + F(norm(x)), or whose sum is normalised (post-LN, BERT:
 * y = norm(x + F(x))), or that follow a normalisation inside the branch (ConvNeXt:
 * y = x + γ·W₂ φ(W₁ norm(dwconv(x))); marked by the frontend, trace.ts normalisedWithinBranch). Each block re-normalises, so a small weight scale inside the branch
 * only weakens that branch's contribution to the stream; it cannot compound with depth.
 * GPT-2's and BERT's std=0.02 (σ² ≈ 0.3 at width 768) is that convention, as are
 * Fixup/SkipInit-style small branches. The init rules do not call such a scale too small
 * (a too large one still is).
 */
import { attentionProjections, type Network, type Op, type WeightLayer } from '../ir';

const CACHE = new WeakMap<Network, ReadonlySet<WeightLayer>>();

export function normalisedBranchLayers(network: Network): ReadonlySet<WeightLayer> {
  let layers = CACHE.get(network);
  if (!layers) {
    const found = new Set<WeightLayer>();
    const visit = (ops: readonly Op[], inside: boolean) => {
      ops.forEach((op, i) => {
        if (op.op === 'layer' && inside) found.add(op);
        if (op.op === 'attention' && inside) for (const projection of attentionProjections(op)) found.add(projection);
        // Around an identity shortcut only: beside a projection shortcut (ResNet's downsample, an
        // Xception block's strided 1×1 conv) a small branch is not a small addition to a carried
        // stream but the smaller half of a new one (chapter 9 of Chollet's book: Keras's default
        // depthwise init leaves the branch ×0.0039 of the shortcut per layer).
        if (op.op === 'residual') visit(op.body, inside || (!op.shortcut && (op.body[0]?.op === 'norm' || ops[i + 1]?.op === 'norm')));
        if (op.op === 'memory') visit(op.body, inside);
      });
    };
    visit(network.ops, false);
    layers = found;
    CACHE.set(network, layers);
  }
  return layers;
}

/** A deliberately small scale the init rules accept: last layer of a branch, inside a normalised residual branch, or an attention's q/k/v projection. */
export function smallScaleIsDeliberate(network: Network, layer: WeightLayer): boolean {
  return layer.isLastInBranch || layer.inNormalisedBranch === true || layer.attentionProjection === true || normalisedBranchLayers(network).has(layer);
}
