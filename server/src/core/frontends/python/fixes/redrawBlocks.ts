/**
 * IW404's fix: after the statement that binds an `nn.TransformerEncoder(layer, N)` (or an
 * `nn.TransformerDecoder(layer, N)`), a loop that draws every block afresh with the layer's own
 * defaults, as a freshly constructed nn.TransformerEncoderLayer would hold them:
 *
 *     for block in self.encoder.layers:
 *         for linear in (block.self_attn.out_proj, block.linear1, block.linear2):
 *             linear.reset_parameters()
 *         block.self_attn._reset_parameters()
 *
 * A decoder layer's cross-attention (`multihead_attn`) is an nn.MultiheadAttention too: its
 * out_proj joins the Linear layers and its `_reset_parameters()` follows self_attn's.
 *
 * In that order because nn.MultiheadAttention's constructor builds out_proj (a Linear with its
 * default draw) and then runs `_reset_parameters()`, which draws in_proj_weight xavier_uniform_
 * and zeroes in_proj_bias and out_proj.bias (torch/nn/modules/activation.py, 1.13–2.x).
 * Offered only when every copied weight still holds that default: a re-draw with the defaults
 * would otherwise undo an init the user chose (then the message says what to do).
 */
import type { TextEdit } from '../../../findings';
import type { CopiedStackModule } from '../interpreter/modules';
import { blockAttentions, blockWeights } from '../frameworks/attentionLayers';

export function redrawBlocksEdits(stack: CopiedStackModule, shared: readonly string[]): readonly TextEdit[] | undefined {
  const site = stack.redrawSite;
  const atCopy = stack.initsAtCopy;
  if (!site || !atCopy || shared.length !== blockWeights(stack).length) return undefined;
  const defaults = blockWeights(stack).every(({ modules }) => modules.every((m) => {
    const init = atCopy.get(m);
    return init !== undefined && (init.acceptedDefault || !init.explicit);
  }));
  if (!defaults || !/^[A-Za-z_][\w.]*$/.test(site.name)) return undefined;
  const { indent, unit, eol } = site;
  const attentions = blockAttentions(stack).map(({ name }) => name);
  const linears = [...attentions.map((name) => `block.${name}.out_proj`), 'block.linear1', 'block.linear2'];
  const lines = [
    `for block in ${site.name}.layers:  # ${stack.className.split('.').pop()} copies one layer: draw each block afresh`,
    `${unit}for linear in (${linears.join(', ')}):`,
    `${unit}${unit}linear.reset_parameters()`,
    ...attentions.map((name) => `${unit}block.${name}._reset_parameters()`),
  ];
  return [{ span: { start: site.offset, end: site.offset }, newText: lines.map((line) => `${eol}${indent}${line}`).join('') }];
}
