/**
 * Constructions nothing can come of (issue 16: torchvision's ten ResNet builders, read in
 * execution order, built 254 blocks and 760 layers per check and yielded nothing).
 *
 * A constructor that ends with init code of unknown reach under one of its own flags
 * (torchvision's `if zero_init_residual: for m in self.modules(): … nn.init.constant_(…)`),
 * called with that flag left unknown by a `**kwargs` it cannot read (`ResNet(block, layers,
 * **kwargs)`), runs that branch as uncertain code: every weight layer of the module gets an
 * unknown initializer (uncertainCode.ts taint), so no rule judges any of them and the
 * network cannot be simulated. Building its layers first costs the reading of the whole
 * model and can show nothing but their widths. Such a call gives an opaque module instead
 * (the network says it cannot be simulated, naming the class), read as main read these
 * builders before the execution-order reading. What a caller does to the model afterwards
 * (re-initialising it by name) is not seen either: unknown, never a finding.
 *
 * Syntax only, read once per constructor; the flag's value at the call is decided the way
 * bindArgumentExpressions binds it (arguments.ts): not written by the call, and a spread
 * whose keys are unknown.
 */
import { type CallParts, dottedName, type Node } from '../syntax/syntax';
import { parameterNames, spreadKeywords } from './arguments';
import type { Scope } from './values';

/** The flag guarding the constructor's last init code of unknown reach, when the constructor ends with one. */
export function trailingInitFlag(ctor: Node, holdsInitCode: (node: Node) => boolean): string | undefined {
  let found = FLAGS.get(ctor);
  if (found === undefined) FLAGS.set(ctor, (found = readTrailingInitFlag(ctor, holdsInitCode) ?? null));
  return found ?? undefined;
}

const FLAGS = new WeakMap<Node, string | null>();

/**
 * The flag of `ctor`'s trailing init code (trailingInitFlag) when this call leaves it unknown:
 * the call neither names it nor fills its position, and spreads `**kw` (or `*xs`) whose keys
 * InitWise cannot read, so the flag may be anything.
 */
export function initFlagLeftUnknown(ctor: Node, call: CallParts, callerScope: Scope, holdsInitCode: (node: Node) => boolean): string | undefined {
  if (!call.spread) return undefined;
  const flag = trailingInitFlag(ctor, holdsInitCode);
  if (flag === undefined || call.keywords.has(flag)) return undefined;
  const { positional } = parameterNames(ctor);
  const splat = call.positional.findIndex((p) => p.type === 'list_splat');
  const filled = positional.slice(0, splat < 0 ? call.positional.length : splat);
  if (filled.includes(flag)) return undefined;
  // A spread whose keys the file spells out (`**dict(zero_init_residual=True)`) binds what it names.
  if (spreadKeywords(call, callerScope) !== undefined) return undefined;
  return flag;
}

function readTrailingInitFlag(ctor: Node, holdsInitCode: (node: Node) => boolean): string | undefined {
  const body = ctor.childForFieldName('body')?.namedChildren ?? [];
  const { named } = parameterNames(ctor);
  for (let i = body.length - 1; i >= 0; i--) {
    const statement = body[i]!;
    if (statement.type === 'comment' || statement.type === 'pass_statement') continue;
    if (statement.type !== 'if_statement') return undefined;
    // Nothing after it builds or assigns anything (checked by walking back only over comments and `pass`).
    const condition = statement.childForFieldName('condition');
    const flag = condition?.type === 'identifier' ? condition.text : undefined;
    if (flag === undefined || !named.has(flag) || writes(ctor, flag)) return undefined;
    const consequence = statement.childForFieldName('consequence');
    return consequence && reachesEveryLayer(consequence, holdsInitCode) ? flag : undefined;
  }
  return undefined;
}

/**
 * Init code whose reach is every layer of the module: `self.apply(fn)`, or a loop over
 * `self.modules()` / `self.named_modules()` holding init calls on what it visits.
 */
function reachesEveryLayer(block: Node, holdsInitCode: (node: Node) => boolean): boolean {
  for (const loop of block.descendantsOfType('for_statement')) {
    const over = loop.childForFieldName('right');
    const callee = over?.type === 'call' ? dottedName(over.childForFieldName('function') ?? over) : undefined;
    if ((callee === 'self.modules' || callee === 'self.named_modules') && holdsInitCode(loop)) return true;
  }
  return block.descendantsOfType('call').some((call) => dottedName(call.childForFieldName('function') ?? call) === 'self.apply');
}

/** Whether the constructor assigns `name` anywhere (then its value at the `if` is not the argument's). */
function writes(ctor: Node, name: string): boolean {
  for (const type of ['assignment', 'augmented_assignment', 'for_statement', 'named_expression'] as const) {
    for (const node of ctor.descendantsOfType(type)) {
      const left = node.childForFieldName(type === 'named_expression' ? 'name' : 'left');
      if (!left) continue;
      const targets = left.type === 'pattern_list' || left.type === 'tuple_pattern' ? left.namedChildren : [left];
      if (targets.some((t) => t.text === name)) return true;
    }
  }
  return false;
}
