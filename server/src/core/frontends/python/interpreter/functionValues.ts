/**
 * Calls of a module's own small functions folded to their value: vit-pytorch's `pair(t)` (`return
 * t if isinstance(t, tuple) else (t, t)`), `default(val, d)`, `exists(val)`, `cast_tuple(val,
 * length)`. Only a function the folder can read whole is folded: an undecorated `def` whose body
 * is assignments (a docstring, `pass`) and ends with its one `return`, called with arguments that
 * bind by Python's rules. Its parameters are bound to the caller's argument expressions (read
 * lazily in the caller's scope), its defaults read where the function was defined, and the value
 * returned is what values.ts folds; any other body (a branch, a loop, a `raise`, a call it cannot
 * fold) leaves the call unknown.
 */
import { bindArgumentExpressions, parameterNames } from './arguments';
import type { CallParts, Node } from '../syntax/syntax';
import { bindAssignments, bindParameters, evaluate, Scope, type Value } from './values';

/** The module scope each function was defined in (moduleContext.ts registers every module's undecorated functions). */
const homes = new WeakMap<Node, Scope>();

export function registerFunctionHome(definition: Node, moduleScope: Scope): void {
  homes.set(definition, moduleScope);
}

/** The return expression of a function the folder can read whole, else null (read once per definition). */
const returns = new WeakMap<Node, Node | null>();

function foldableReturn(definition: Node): Node | null {
  let known = returns.get(definition);
  if (known === undefined) {
    known = readReturn(definition);
    returns.set(definition, known);
  }
  return known;
}

function readReturn(definition: Node): Node | null {
  if (definition.type !== 'function_definition') return null;
  // `async def` returns a coroutine, not its value.
  if (definition.children.some((c) => c.type === 'async')) return null;
  const body = definition.childForFieldName('body')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
  const last = body[body.length - 1];
  if (last?.type !== 'return_statement' || !last.namedChild(0)) return null;
  for (const statement of body.slice(0, -1)) {
    if (statement.type === 'pass_statement') continue;
    const inner = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
    // A docstring, or an assignment (bound as every function body's are: values.ts bindAssignments).
    if (inner?.type === 'string' || inner?.type === 'assignment') continue;
    return null;
  }
  // A generator returns a generator, not its value.
  if (definition.descendantsOfType('yield').length > 0) return null;
  return last.namedChild(0)!;
}

/** Whether the call passes no more positional arguments than the function takes (Python would raise). */
function bindsByPosition(definition: Node, call: CallParts): boolean {
  const { positional, rest } = parameterNames(definition);
  return rest !== undefined || call.positional.filter((p) => p.type !== 'list_splat').length <= positional.length;
}

/** Scope.registerFunctions' folder: the value a call of `definition` returns, when certain. */
export function foldFunctionCall(definition: Node, call: CallParts, callerScope: Scope, depth: number): Value | undefined {
  const home = homes.get(definition);
  const expression = foldableReturn(definition);
  if (!home || !expression || !bindsByPosition(definition, call)) return undefined;
  const scope = new Scope(home);
  bindParameters(definition, scope, home);
  bindArgumentExpressions(definition, call, scope, callerScope);
  const body = definition.childForFieldName('body')?.namedChildren ?? [];
  bindAssignments(body, scope);
  return evaluate(expression, scope, depth + 1);
}
