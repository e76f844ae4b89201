/**
 * Init functions a file defines for another file to apply. PyTorch-GAN's models.py defines
 * `def weights_init_normal(m): ... torch.nn.init.normal_(m.weight.data, 0.0, 0.02)` and its
 * training script runs `generator.apply(weights_init_normal)`: read alone, models.py's layers
 * look like PyTorch defaults, and they are not. So when a top-level function of one parameter
 * initialises that parameter's weights (an `nn.init` call or an in-place tensor init on
 * `m.weight`) and the file never names it again (no `apply`, no call, no reference), the
 * PyTorch defaults of the file's layers are uncertain: "unknown", never the default (issue 11,
 * precision; a fixture keeps the false positive it removed).
 */
import type { Imports } from '../frameworks/imports';
import { callParts, definitionOf, dottedName, type Node } from '../syntax/syntax';

const TENSOR_INIT_METHODS = /^(normal_|uniform_|zero_|fill_|xavier_\w+|kaiming_\w+|orthogonal_|trunc_normal_)$/;

/** The name of the first such function the file defines and never names again; undefined when none. */
export function unappliedInitHook(statements: readonly Node[], imports: Imports): string | undefined {
  for (const statement of statements) {
    const def = definitionOf(statement);
    if (def.type !== 'function_definition') continue;
    const name = def.childForFieldName('name')?.text;
    const parameters = def.childForFieldName('parameters')?.namedChildren.filter((p) => p.type === 'identifier') ?? [];
    if (!name || parameters.length !== 1 || !initialisesWeightsOf(def, parameters[0]!.text, imports)) continue;
    // Names in code only (a comment or docstring that mentions it applies nothing): its own def is the one mention.
    const mentions = statements.reduce((n, s) => n + s.descendantsOfType('identifier').filter((i) => i.text === name).length, 0);
    if (mentions === 1) return name;
  }
  return undefined;
}

/** True when the function's body initialises `param.weight` (`nn.init.normal_(m.weight.data, ...)`, `m.weight.data.normal_(...)`). */
function initialisesWeightsOf(def: Node, param: string, imports: Imports): boolean {
  const weight = new RegExp(`^${param}\\.weight(\\.data)?$`);
  for (const node of def.descendantsOfType('call')) {
    const call = callParts(node);
    if (!call) continue;
    const callee = dottedName(call.callee);
    if (callee === undefined) continue;
    if (imports.canonical(callee).startsWith('torch.nn.init.')) {
      const target = call.positional[0] ?? call.keywords.get('tensor')?.value;
      const written = target ? dottedName(target) : undefined;
      if (written !== undefined && weight.test(written)) return true;
    }
    const dot = callee.lastIndexOf('.');
    if (dot > 0 && TENSOR_INIT_METHODS.test(callee.slice(dot + 1)) && weight.test(callee.slice(0, dot))) return true;
  }
  return false;
}
