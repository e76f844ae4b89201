/**
 * The copied stacks of a model (`nn.TransformerEncoder(layer, N)`, `nn.TransformerDecoder(layer, N)`) whose blocks still share
 * weights that write to the stream once all its init code has run (Network.identicalBlocks,
 * IW404). Found from the model's modules, not from its forward: a stack called in a way the
 * trace cannot follow (`self.encoder(src, src_mask)` with a mask it does not read) is still copied.
 */
import type { IdenticalBlocks } from '../../../ir';
import { spanOf } from '../syntax/syntax';
import { blockAttentions, blockWeights, sharedBlockModules, sharedBlockWeights } from '../frameworks/attentionLayers';
import { redrawBlocksEdits } from '../fixes/redrawBlocks';
import { allModules, type ModuleValue, type WeightModule } from './modules';

/**
 * Only weights that write to the stream count: with out_proj, linear1 and linear2 drawn per
 * block, a shared in_proj_weight (what an `apply` over every nn.Linear leaves) measured within
 * the seeds' spread of independent blocks (test/reference/transformer/cloned_blocks.json,
 * "cloned_in_proj_only"); a decoder's two in_proj_weights (self_attn's and multihead_attn's)
 * likewise (decoder_cloned_blocks.json, "cloned_in_proj_only").
 */
export function identicalBlocksIn(root: ModuleValue): { readonly blocks?: IdenticalBlocks; readonly shared: readonly WeightModule[] }[] {
  const out: { blocks?: IdenticalBlocks; shared: WeightModule[] }[] = [];
  const seen = new Set<number>();
  for (const module of allModules(root)) {
    if ((module.kind !== 'encoderLayer' && module.kind !== 'decoderLayer') || !module.initsAtCopy) continue;
    const span = spanOf(module.call);
    if (seen.has(span.start)) continue;
    seen.add(span.start);
    // The modules whose weights every block holds as drawn before the copy: the Monte-Carlo pass
    // draws them once, also where only in_proj_weight stays shared (then reported by no rule).
    const modules = sharedBlockModules(module);
    const shared = sharedBlockWeights(module);
    if (!shared.some((name) => !name.endsWith('.in_proj_weight'))) {
      if (modules.length > 0) out.push({ shared: modules });
      continue;
    }
    const redraw = redrawBlocksEdits(module, shared);
    out.push({
      blocks: {
        span, className: module.className, copies: module.copies, weights: shared, blockWeights: blockWeights(module).length,
        attentions: blockAttentions(module).map(({ name }) => name), ...(redraw ? { redraw } : {}),
      },
      shared: modules,
    });
  }
  return out;
}
