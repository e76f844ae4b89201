/**
 * Names the value evaluator follows in execution order instead of binding them lazily
 * (values.ts Scope.followInOrder): an instance attribute a class assigns at more than one
 * site (`self.in_planes = 64` in `__init__`, `self.in_planes = planes * block.expansion`
 * in ResNet's `_make_layer`), and a function's parameter that its body assigns again
 * (`for stride in strides` over the `stride` parameter, torchvision's `stride = 1` under
 * `if dilate:`). A lazy binding of such a name would read whichever assignment was bound
 * last, not the one Python executed last; the interpreter records each executed
 * assignment instead, and code it does not follow for certain makes the value unknown.
 */
import { dottedName, type Node } from '../syntax/syntax';

export interface FollowedAttributes {
  /** `self.X` names assigned at two or more sites (an augmented assignment counts as two: it reads the value before it). */
  readonly followed: ReadonlySet<string>;
  /**
   * Followed names assigned by a method other than a constructor: a caller may run that
   * method again after construction, so the value is unknown once construction ends.
   */
  readonly outsideConstructor: ReadonlySet<string>;
}

const CONSTRUCTORS: ReadonlySet<string> = new Set(['__init__', 'setup']);

/** The followed attributes of a class whose lookup order is `classes` (its own definition first). */
export function followedAttributes(classes: readonly Node[]): FollowedAttributes {
  const key = classes[0];
  const cached = key ? ATTRIBUTES.get(key) : undefined;
  if (cached && cached.classes.length === classes.length && cached.classes.every((c, i) => c === classes[i])) return cached.result;
  const sites = new Map<string, number>();
  const outside = new Set<string>();
  // Most classes assign each attribute once: their method bodies are then never read here
  // (reading them materialises syntax the interpreter may never need: issue 16).
  const candidates = candidateAttributes(classes);
  for (const definition of candidates.size > 0 ? classes : []) {
    for (const method of methodsOf(definition)) {
      if (!mentionsAny(method.text, candidates)) continue;
      const inConstructor = CONSTRUCTORS.has(method.childForFieldName('name')?.text ?? '');
      for (const { name, augmented } of assignedTargets(method)) {
        if (!candidates.has(name)) continue;
        sites.set(name, (sites.get(name) ?? 0) + (augmented ? 2 : 1));
        if (!inConstructor) outside.add(name);
      }
    }
  }
  const followed = new Set([...sites].filter(([, n]) => n >= 2).map(([name]) => name));
  const result = { followed, outsideConstructor: new Set([...outside].filter((n) => followed.has(n))) };
  if (key) ATTRIBUTES.set(key, { classes, result });
  return result;
}

const ATTRIBUTES = new WeakMap<Node, { readonly classes: readonly Node[]; readonly result: FollowedAttributes }>();

/**
 * `self.X` written in a place a target can stand (before `=`, an augmented operator, an
 * annotation's `:`, a `,` or `)` of a target list, or ` in` of a `for`): every assignment
 * site assignedTargets finds is one of these, so the names found twice here (an augmented
 * one counting twice) are a superset of the followed ones.
 */
const TARGET_LIKE = /\bself\.([\p{L}_][\p{L}\p{N}_]*)\s*(=(?!=)|(?:\/\/|\*\*|>>|<<|[-+*/%@&|^])=|[,):]|in\b)/gu;

/** `self.X` names that may be assigned at two or more sites of the classes' text (TARGET_LIKE). */
function candidateAttributes(classes: readonly Node[]): ReadonlySet<string> {
  const counts = new Map<string, number>();
  for (const definition of classes) {
    for (const match of definition.text.matchAll(TARGET_LIKE)) {
      const name = `self.${match[1]!}`;
      counts.set(name, (counts.get(name) ?? 0) + (match[2]!.length >= 2 && match[2]!.endsWith('=') ? 2 : 1));
    }
  }
  const out = new Set<string>();
  counts.forEach((n, name) => { if (n >= 2) out.add(name); });
  return out;
}

function mentionsAny(text: string, names: ReadonlySet<string>): boolean {
  for (const name of names) if (text.includes(name)) return true;
  return false;
}

/**
 * The locals of a `def` followed in execution order: its parameters that the body assigns
 * again (plain, augmented, or as a `for` target), and other names the body assigns at two
 * or more sites (torchvision's `downsample = None` then `downsample = nn.Sequential(…)`
 * under an `if`). A name assigned at one site keeps its lazy binding (and a loop body's
 * carried names their pass-by-pass values, loopItems.ts).
 */
export function reassignedLocals(definition: Node): ReadonlyMap<string, boolean> {
  let found = PARAMETERS.get(definition);
  if (found) return found;
  const parameters = new Set<string>();
  for (const p of definition.childForFieldName('parameters')?.namedChildren ?? []) {
    const name = p.type === 'identifier' ? p.text : p.childForFieldName('name')?.text ?? (p.type === 'typed_parameter' ? p.namedChild(0)?.text : undefined);
    if (name !== undefined && name !== 'self') parameters.add(name);
  }
  const body = definition.childForFieldName('body');
  const sites = new Map<string, number>();
  for (const { name, augmented } of body ? assignedTargets(body) : []) {
    if (name.includes('.')) continue;
    sites.set(name, (sites.get(name) ?? 0) + (augmented || parameters.has(name) ? 2 : 1));
  }
  // Each followed name, and whether it is a parameter (its argument is its value until the body assigns it).
  found = new Map([...sites].filter(([, n]) => n >= 2).map(([name]) => [name, parameters.has(name)]));
  PARAMETERS.set(definition, found);
  return found;
}

const PARAMETERS = new WeakMap<Node, ReadonlyMap<string, boolean>>();

/** The dotted names an expression mentions (`self.in_planes`, `planes`), read once per node. */
export function mentionedNames(node: Node): readonly string[] {
  let names = MENTIONS.get(node);
  if (!names) {
    const found = new Set<string>();
    const own = node.type === 'identifier' || node.type === 'attribute' ? [node] : [];
    for (const n of [...own, ...node.descendantsOfType('identifier'), ...node.descendantsOfType('attribute')]) {
      const name = dottedName(n);
      if (name !== undefined) found.add(name);
    }
    names = [...found];
    MENTIONS.set(node, names);
  }
  return names;
}

const MENTIONS = new WeakMap<Node, readonly string[]>();

function methodsOf(definition: Node): Node[] {
  const body = definition.childForFieldName('body');
  const methods: Node[] = [];
  for (const statement of body?.namedChildren ?? []) {
    const def = statement.type === 'decorated_definition' ? statement.childForFieldName('definition') : statement;
    if (def?.type === 'function_definition') methods.push(def);
  }
  return methods;
}

/** Every target an assignment, augmented assignment or `for` inside `node` writes. */
function assignedTargets(node: Node): { readonly name: string; readonly augmented: boolean }[] {
  const out: { name: string; augmented: boolean }[] = [];
  const add = (left: Node | null, augmented: boolean) => {
    const targets = left && (left.type === 'pattern_list' || left.type === 'tuple_pattern') ? left.namedChildren : left ? [left] : [];
    for (const target of targets) {
      const name = dottedName(target);
      if (name !== undefined) out.push({ name, augmented });
    }
  };
  for (const a of node.descendantsOfType('assignment')) add(a.childForFieldName('left'), false);
  for (const a of node.descendantsOfType('augmented_assignment')) add(a.childForFieldName('left'), true);
  for (const f of node.descendantsOfType('for_statement')) add(f.childForFieldName('left'), false);
  return out;
}
