/**
 * `for name, p in self.named_parameters(): if name.endswith('c_proj.weight'): nn.init.normal_(p, …)`
 * (nanoGPT's GPT-2 re-init of the residual projections): the weights of the module tree by the
 * names PyTorch gives them (attribute paths, container indices; registration order), when the
 * tree holds only layers whose parameters InitWise models one weight each. Parameters it does
 * not model (norm gains, `nn.Parameter` attributes, an opaque module's) are left out: init code
 * run for them cannot touch a modelled layer. Anything whose parameters are modelled otherwise
 * (recurrent and attention layers) or shared (tied weights) makes the list unknown.
 */
import type { ModuleValue, WeightModule } from './modules';
import { callParts, dottedName, type Node } from '../syntax/syntax';

export interface NamedWeight {
  readonly name: string;
  /** The layer, and the one it shares the weight with (tied weights). */
  readonly modules: readonly WeightModule[];
}

const MAX_DEPTH = 64;

/** The named weights, or undefined when the list cannot be certain. */
export function namedWeights(root: ModuleValue, partnerOf: (module: WeightModule) => WeightModule | undefined): NamedWeight[] | undefined {
  const out: NamedWeight[] = [];
  const listed = new Set<WeightModule>();
  const visit = (module: ModuleValue, prefix: string, depth: number): boolean => {
    if (depth > MAX_DEPTH) return false;
    switch (module.kind) {
      case 'weight':
        if (module.recurrent || module.fusedWithPrevious) return false;
        if (listed.has(module)) return true;
        {
          const partner = partnerOf(module);
          out.push({ name: `${prefix}weight`, modules: partner ? [module, partner] : [module] });
          listed.add(module);
          if (partner) listed.add(partner);
        }
        return true;
      case 'attention':
      case 'encoderLayer':
      case 'decoderLayer':
      case 'transformer':
        return false;
      case 'sequence':
        if (module.fused) return false;
        return module.items.every((item, i) => visit(item, `${prefix}${i}.`, depth + 1));
      case 'list':
        return module.items.every((item, i) => visit(item, `${prefix}${i}.`, depth + 1));
      case 'instance':
        return [...module.attributes].every(([name, child]) => visit(child, `${prefix}${name}.`, depth + 1));
      default:
        return true;
    }
  };
  return visit(root, '', 0) ? out : undefined;
}

/**
 * The loop's body uses the parameter only where InitWise reads what it does: as the tensor of an
 * `nn.init.*_` call, or with an in-place method (`p.normal_(…)`, `p.data.zero_()`; one that is no
 * init makes the weight unknown), and never names biases (they are not listed). Anything else
 * (`p.detach().zero_()`, `p` passed on, `p.dim()` decided per weight) leaves the loop unfollowed.
 * `arity`: 2 for `for name, p in …named_parameters()`, 1 for `for p in …parameters()`.
 */
export function parameterLoopFollowed(loop: Node, arity: number, canonical: (written: string) => string): boolean {
  const left = loop.childForFieldName('left');
  const body = loop.childForFieldName('body');
  if (!left || !body || /bias/.test(body.text)) return false;
  const targets = left.type === 'pattern_list' || left.type === 'tuple_pattern' ? left.namedChildren : [left];
  const parameter = targets[arity - 1];
  if (targets.length !== arity || parameter?.type !== 'identifier') return false;
  const name = parameter.text;
  return body.descendantsOfType('identifier').filter((id) => id.text === name).every((id) => initUse(id, body, canonical));
}

/** `id` is the first argument of an nn.init call, or the receiver (through `.data`) of an in-place method. */
function initUse(id: Node, body: Node, canonical: (written: string) => string): boolean {
  for (const call of body.descendantsOfType('call')) {
    const parts = callParts(call);
    if (!parts) continue;
    const first = parts.positional[0] ?? parts.keywords.get('tensor')?.value;
    const written = dottedName(parts.callee);
    if (first && first.startIndex === id.startIndex && first.endIndex === id.endIndex && written !== undefined && canonical(written).startsWith('torch.nn.init.')) return true;
    const callee = parts.callee;
    if (callee.type !== 'attribute' || !callee.childForFieldName('attribute')?.text.endsWith('_')) continue;
    let object = callee.childForFieldName('object');
    if (object?.type === 'attribute' && object.childForFieldName('attribute')?.text === 'data') object = object.childForFieldName('object');
    if (object && object.startIndex === id.startIndex && object.endIndex === id.endIndex) return true;
  }
  return false;
}
