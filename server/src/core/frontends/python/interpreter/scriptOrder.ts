/**
 * Literal constants read in script order (issue 15; notebooks). A notebook sets its widths again
 * in every section (`hidden_dim = 1024` for one model, `hidden_dim = 256` for the next), so read
 * as one value per name they are unknown everywhere. The module script runs top to bottom, so
 * an expression the script itself evaluates — the arguments of `TransformerEncoder(hidden_dim,
 * …)` — sees the literal the script assigned last, as Python does. Each such assignment puts a
 * new scope in front of the script frame's one, holding that value, so an argument bound earlier
 * (lazily, in the scope of its time) keeps the value it had. Functions and classes reading the
 * name as a global still see one value per name (values.ts): they may run at any time.
 *
 * Precision: after any other statement that may assign such a name (an assignment of something
 * else, a loop or branch assigning it, an import, a `def`), the name is unknown again; a name
 * some function declares `global` is never followed.
 */
import type { Node } from '../syntax/syntax';
import { literalOf, Scope } from './values';

/** Per source text, the names any `global` statement in it may declare (read from the text: a comment only adds names). */
const globalsOf = new Map<string, ReadonlySet<string>>();

function globalNames(source: string): ReadonlySet<string> {
  let names = globalsOf.get(source);
  if (!names) {
    const found = new Set<string>();
    for (const m of source.matchAll(/\bglobal\s+([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)/g)) for (const n of m[1]!.split(',')) found.add(n.trim());
    names = found;
    if (globalsOf.size > 16) globalsOf.clear();
    globalsOf.set(source, names);
  }
  return names;
}

/** Identifiers a statement may bind: assignment targets, loop targets, `as` names, walrus names, imports, definitions. */
function namesBoundIn(node: Node, out: Set<string>): void {
  const targets = (n: Node | null): void => {
    if (!n) return;
    if (n.type === 'identifier') out.add(n.text);
    else if (n.type !== 'attribute' && n.type !== 'subscript') for (const c of n.namedChildren) targets(c);
  };
  switch (node.type) {
    case 'assignment':
    case 'augmented_assignment':
      targets(node.childForFieldName('left'));
      break;
    case 'for_statement':
      targets(node.childForFieldName('left'));
      break;
    case 'as_pattern':
      targets(node.childForFieldName('alias'));
      break;
    case 'named_expression':
      targets(node.childForFieldName('name'));
      break;
    case 'function_definition':
    case 'class_definition':
      targets(node.childForFieldName('name'));
      return;
    case 'import_statement':
    case 'import_from_statement':
      for (const c of node.namedChildren) {
        if (c.type === 'aliased_import') targets(c.childForFieldName('alias'));
        else if (c.type === 'dotted_name' && c.namedChild(0)) out.add(c.namedChild(0)!.text);
        else if (c.type === 'wildcard_import') out.add('*');
      }
      return;
    default:
      break;
  }
  for (const c of node.namedChildren) namesBoundIn(c, out);
}

/**
 * After the script frame ran `statement`: a literal assigned to a plain name is that name's value
 * from here on (a new scope in front of `scope`); any other binding of a followed name makes it
 * unknown again. Returns the scope the script continues in (`scope` itself when nothing changed).
 */
export function scopeAfter(statement: Node, scope: Scope, followed: Set<string>, source: string): Scope {
  const assignment = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
  const left = assignment?.type === 'assignment' ? assignment.childForFieldName('left') : null;
  const right = assignment?.type === 'assignment' ? assignment.childForFieldName('right') : null;
  if (left?.type === 'identifier' && right && assignment?.childForFieldName('type') === null) {
    const literal = literalOf(right);
    if (literal !== 'mixed' && !globalNames(source).has(left.text)) {
      const next = new Scope(scope);
      next.settle(left.text, literal.value);
      followed.add(left.text);
      return next;
    }
  }
  if (followed.size === 0) return scope;
  const bound = new Set<string>();
  namesBoundIn(statement, bound);
  const stale = bound.has('*') ? [...followed] : [...bound].filter((n) => followed.has(n));
  if (stale.length === 0) return scope;
  const next = new Scope(scope);
  for (const name of stale) {
    next.bindValue(name, undefined);
    followed.delete(name);
  }
  return next;
}
