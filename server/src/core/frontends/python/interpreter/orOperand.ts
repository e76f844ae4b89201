/**
 * `norm_layer = norm_layer or nn.BatchNorm2d`, `act_layer = act_layer or nn.GELU` (timm writes
 * it in nearly every block): the operand Python's `or` gives, where it is certain. The left
 * side's value decides: None or another falsy constant gives the right side, a truthy constant
 * the left; a name that stands for a framework class or function (a parameter given
 * `nn.ReLU`) is truthy, so it is the result. Anything else is not certain: undefined, and the
 * name the `or` is assigned to stays unknown. With execution-order reading (followedNames.ts)
 * the left side is the parameter's binding before the assignment.
 */
import type { Node } from '../syntax/syntax';
import { truthy } from './valueLogic';
import { evaluate, type Scope } from './values';

/**
 * The operand `node` gives when it is an `or` (through parentheses), `node` itself when it is
 * not one, undefined when the `or`'s result is not certain. `standsForClass` says whether the
 * left side names a framework class or function (the caller follows its bindings).
 */
export function orOperand(node: Node, scope: Scope, standsForClass: (left: Node, scope: Scope) => boolean): Node | undefined {
  let current = node;
  while (current.type === 'parenthesized_expression' && current.namedChild(0)) current = current.namedChild(0)!;
  if (current.type !== 'boolean_operator' || current.childForFieldName('operator')?.text !== 'or') return node;
  const left = current.childForFieldName('left');
  const right = current.childForFieldName('right');
  if (!left || !right) return undefined;
  const truth = truthy(evaluate(left, scope));
  if (truth === false) return right;
  if (truth === true) return left;
  return (left.type === 'identifier' || left.type === 'attribute') && standsForClass(left, scope) ? left : undefined;
}
