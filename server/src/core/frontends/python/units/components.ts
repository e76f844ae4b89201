/**
 * Which of the file's module classes are parts of another model rather than models of their
 * own. A class no code instantiates is analysed alone with its default arguments (parse.ts);
 * that is wrong for a building block whose user the interpreter could not follow — a
 * branch it cannot decide, a class passed as a value (torchvision's
 * `ResNet(BasicBlock, [2, 2, 2, 2])`, `block(...)` inside `_make_layer`). Alone, the block
 * misses the init code its user runs on it (`for m in self.modules(): kaiming_normal_(...)`)
 * and would be reported with PyTorch's defaults, which the real model never has.
 *
 * Read from the text, in one pass over the names of the candidate classes: a class is a
 * part when its name appears inside another class, or outside its own definition other
 * than as a call (`Name(...)` at module level or in a function instantiates it: parse.ts
 * finds that model where it is built). Mentions in comments and strings (a docstring
 * naming the model) do not count.
 */
import type { Node } from '../syntax/syntax';
import { NameMentions } from '../syntax/nameMentions';

export function componentClasses(text: string, root: Node, statements: readonly Node[], candidates: readonly string[]): Set<string> {
  const parts = new Set<string>();
  if (candidates.length === 0) return parts;
  const classStatements: { name: string | undefined; start: number; end: number }[] = [];
  for (const statement of statements) {
    const definition = statement.type === 'decorated_definition' ? statement.childForFieldName('definition') : statement;
    if (definition?.type !== 'class_definition') continue;
    classStatements.push({ name: definition.childForFieldName('name')?.text, start: statement.startIndex, end: statement.endIndex });
  }
  // A whole identifier (Unicode letters, digits, underscore), not an attribute's tail.
  for (const mention of new NameMentions(candidates, '.').all(text)) {
    const name = mention.name;
    if (parts.has(name)) continue;
    const at = mention.index;
    const inside = classStatements.find((c) => c.start <= at && at < c.end);
    if (inside?.name === name) continue;
    if (!inside && calledAt(text, at + name.length)) continue;
    if (root.namedDescendantForIndex(at, at + name.length)?.type === 'identifier') parts.add(name);
  }
  return parts;
}

/** The name ending at `end` is called: `(` follows (after spaces). */
function calledAt(text: string, end: number): boolean {
  let i = end;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return text[i] === '(';
}
