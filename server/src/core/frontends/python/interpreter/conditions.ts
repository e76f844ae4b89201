/**
 * Conditions the interpreter can decide for certain: constants, `is None` / `is not None`
 * on attributes, `isinstance(m, nn.Linear)` and `type(m) == nn.Linear` on a known module,
 * DCGAN's `classname.find('Conv') != -1`, and `and` / `or` / `not` of those. Anything
 * else is undefined, and the interpreter then treats both branches as unknown.
 */
import type { Imports } from '../frameworks/imports';
import type { Frame, RValue } from './frame';
import { MODULE_BASES } from './modules';
import { callParts, type CallParts, dottedName, type Node } from '../syntax/syntax';
import { evaluate, isNumber } from './values';

/** What deciding a condition needs from the interpreter. */
export interface ConditionContext {
  readonly imports: Imports;
  expression(node: Node, frame: Frame): RValue;
  /** The framework class a name is bound to (`norm_layer` given `nn.BatchNorm2d`), if any. */
  frameworkClassOf(name: string, frame: Frame): string | undefined;
}

/** `not not … x` and `a and b and …` nest this deep at most before the condition is unknown (CPython's parser stops at 200 brackets). */
const MAX_DEPTH = 200;

/** A condition's value when it is certain: constants, `is None`, isinstance on a known module, class-name tests. */
export function conditionValue(node: Node, frame: Frame, interp: ConditionContext, depth = 0): boolean | undefined {
  // Deeper than that: unknown, so the interpreter treats both branches as unknown (issue 12: 20,000 `not` overflowed the stack).
  if (depth > MAX_DEPTH) return undefined;
  switch (node.type) {
    case 'parenthesized_expression':
      return node.namedChild(0) ? conditionValue(node.namedChild(0)!, frame, interp, depth + 1) : undefined;
    case 'not_operator': {
      const arg = node.childForFieldName('argument');
      const t = arg ? conditionValue(arg, frame, interp, depth + 1) : undefined;
      return t === undefined ? undefined : !t;
    }
    case 'boolean_operator': {
      const a = node.childForFieldName('left');
      const b = node.childForFieldName('right');
      const op = node.childForFieldName('operator')?.text;
      const x = a ? conditionValue(a, frame, interp, depth + 1) : undefined;
      const y = b ? conditionValue(b, frame, interp, depth + 1) : undefined;
      if (op === 'and') return x === false || y === false ? false : x === true && y === true ? true : undefined;
      return x === true || y === true ? true : x === false && y === false ? false : undefined;
    }
    case 'call': {
      const call = callParts(node);
      const callee = call ? dottedName(call.callee) : undefined;
      if (call && callee === 'isinstance' && call.positional.length === 2) return isInstance(call, frame, interp);
      if (call && call.callee.type === 'attribute') return stringTest(call, frame);
      break;
    }
    case 'comparison_operator':
      return comparison(node, frame, interp);
    default:
      break;
  }
  const r = interp.expression(node, frame);
  // A module, and a class or function of the file (`se_layer` after `se_layer = se_layer or SqueezeExcite`), is truthy.
  if (r?.t === 'module' || r?.t === 'class' || r?.t === 'function') return true;
  const v = evaluate(node, frame.scope);
  if (v === undefined) return undefined;
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v !== '';
  return Array.isArray(v) ? v.length > 0 : true;
}

function isInstance(call: CallParts, frame: Frame, interp: ConditionContext): boolean | undefined {
  const subject = interp.expression(call.positional[0]!, frame);
  if (subject?.t !== 'module') return undefined;
  const classesNode = call.positional[1]!;
  const names = classesNode.type === 'tuple' ? classesNode.namedChildren : [classesNode];
  const className = subject.module.kind === 'instance' ? subject.module.className : subject.module.className;
  for (let i = 0; i < names.length; i++) {
    const written = dottedName(names[i]!);
    if (written === undefined) return undefined;
    const canonical = interp.imports.canonical(written);
    if (canonical === className || written === className) return true;
    // Base classes the analysis knows: every framework module is an nn.Module / Layer.
    if (MODULE_BASES[canonical]) return true;
    // `torch.nn.modules.conv._ConvNd` reads as `torch.nn.conv._ConvNd` (imports.ts drops `modules.`).
    const convBase = /^torch\.nn\.(?:modules\.)?(?:conv\.)?(_ConvNd|_ConvTransposeNd)$/.exec(canonical)?.[1];
    if (convBase === '_ConvNd' && /\.Conv(Transpose)?[123]d$/.test(className)) return true;
    if (convBase === '_ConvTransposeNd' && /\.ConvTranspose[123]d$/.test(className)) return true;
    if (canonical.endsWith('._BatchNorm') && /BatchNorm/.test(className)) return true;
  }
  return false;
}

/**
 * `classname.find('Conv') != -1`, `'Conv' in classname`, `classname.startswith('Linear')`;
 * `pn.endswith(('attn.proj.weight', 'fc2.weight'))` tests any of a tuple's strings, as str does.
 */
function stringTest(call: CallParts, frame: Frame): boolean | undefined {
  const method = call.callee.childForFieldName('attribute')?.text;
  const object = call.callee.childForFieldName('object');
  const subject = object ? evaluate(object, frame.scope) : undefined;
  const arg = call.positional[0] ? evaluate(call.positional[0], frame.scope) : undefined;
  const args = typeof arg === 'string' ? [arg] : Array.isArray(arg) && arg.length > 0 && arg.every((a) => typeof a === 'string') ? arg as readonly string[] : undefined;
  if (typeof subject !== 'string' || !args || call.positional.length !== 1 || call.keywords.size > 0) return undefined;
  if (method === 'startswith') return args.some((a) => subject.startsWith(a));
  if (method === 'endswith') return args.some((a) => subject.endsWith(a));
  return undefined;
}

function comparison(node: Node, frame: Frame, interp: ConditionContext): boolean | undefined {
  const operands = node.namedChildren;
  const operators = node.children.filter((c) => !c.isNamed).map((c) => c.text);
  if (operands.length !== 2) return undefined;
  const op = operators.join(' ');
  const [a, b] = operands as [Node, Node];
  if (op === 'is' || op === 'is not' || ((op === '==' || op === '!=') && (a.type === 'none' || b.type === 'none'))) {
    const other = a.type === 'none' ? b : b.type === 'none' ? a : undefined;
    if (!other) return undefined;
    const r = interp.expression(other, frame);
    let isNone: boolean | undefined;
    // A module, or a tensor a name holds (a Keras layer's implicit `mask`: kerasTokens.ts), is never None.
    if (r?.t === 'module' || r?.t === 'class' || r?.t === 'function' || (r?.t === 'tensor' && other.type === 'identifier')) isNone = false;
    // A name bound to a framework class (torchvision's blocks given `norm_layer`): a class is never None.
    else if ((other.type === 'identifier' || other.type === 'attribute') && interp.frameworkClassOf(dottedName(other) ?? '', frame) !== undefined) isNone = false;
    else {
      const v = evaluate(other, frame.scope);
      isNone = v === null ? true : v === undefined ? undefined : false;
    }
    if (isNone === undefined) return undefined;
    return op === 'is' || op === '==' ? isNone : !isNone;
  }
  if (a.type === 'call' && (op === '!=' || op === '==' || op === '>=' || op === '>' || op === '<')) {
    // classname.find('Conv') != -1
    const call = callParts(a);
    if (call?.callee.type === 'attribute' && call.callee.childForFieldName('attribute')?.text === 'find') {
      const subject = evaluate(call.callee.childForFieldName('object')!, frame.scope);
      const needle = call.positional[0] ? evaluate(call.positional[0], frame.scope) : undefined;
      const bound = evaluate(b, frame.scope);
      if (typeof subject !== 'string' || typeof needle !== 'string' || !isNumber(bound)) return undefined;
      const index = subject.indexOf(needle);
      return op === '!=' ? index !== bound : op === '==' ? index === bound : op === '>=' ? index >= bound : op === '>' ? index > bound : index < bound;
    }
  }
  if (op === 'in' || op === 'not in') {
    const needle = evaluate(a, frame.scope);
    const hay = evaluate(b, frame.scope);
    if (typeof needle === 'string' && typeof hay === 'string') return hay.includes(needle) === (op === 'in');
    return undefined;
  }
  const x = evaluate(a, frame.scope);
  const y = evaluate(b, frame.scope);
  if (x === undefined || y === undefined || typeof x === 'object' || typeof y === 'object') {
    // type(m) == nn.Linear
    if (op === '==' || op === '!=') {
      const call = callParts(a);
      if (call && dottedName(call.callee) === 'type' && call.positional[0]) {
        const subject = interp.expression(call.positional[0], frame);
        const written = dottedName(b);
        if (subject?.t === 'module' && written !== undefined) {
          const same = interp.imports.canonical(written) === subject.module.className || written === subject.module.className;
          return op === '==' ? same : !same;
        }
      }
    }
    return undefined;
  }
  switch (op) {
    case '==': return x === y;
    case '!=': return x !== y;
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    case '>=': return x >= y;
    default: return undefined;
  }
}
