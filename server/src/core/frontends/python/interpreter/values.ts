/**
 * Constant folding for widths, rates and initializer arguments: literals, simple
 * arithmetic, tuples, `math.sqrt`, module-level constants, default argument values and
 * attributes assigned in `__init__`. Anything else is unknown (undefined), and a layer
 * whose widths are unknown is not judged (spec/rules.md, "precision").
 */
import { callParts, type CallParts, dottedName, type Node, stringValue } from '../syntax/syntax';
import { maxOf, minOf } from '../../../util/arrays';
import { mentionedNames } from './followedNames';

import {
  BUILTIN_TYPES, markSequence, pythonContains, pythonEquals, pythonIsInstance, pythonIsNone, pythonOrder, type RecordValue, sequenceKind, truthy, type Value,
} from './valueLogic';

export type { RecordValue, Value } from './valueLogic';

/**
 * `literal`: the one literal every assignment of the name wrote (`embed_dim = 256` in two cells
 * of a notebook); absent once any binding was something else ('mixed'). Kept on the binding,
 * not in a second map per scope (issue 16: a Map per Scope was ~2% of what an analysis allocates).
 */
type Binding = ({ readonly node: Node; readonly scope: Scope } | { readonly value: Value | undefined }) & { readonly literal?: LiteralBinding };

/** Expressions that are never None, whatever their value (a class argument like `nn.GroupNorm` is an attribute: not certain). */
const NEVER_NONE: ReadonlySet<string> = new Set(['lambda', 'integer', 'float', 'string', 'concatenated_string', 'true', 'false', 'list', 'tuple', 'dictionary', 'set']);

/** Deep enough for real arithmetic chains, shallow enough to stop any cycle quickly. */
const MAX_DEPTH = 40;

export class Scope {
  private readonly bindings = new Map<string, Binding>();
  /**
   * Names bound more than once (made on the first: most scopes have none). Such a name is known
   * only when every assignment wrote the same literal (Binding.literal), whichever of them ran last.
   */
  private assignedTwice: Set<string> | undefined;
  private settled: Set<Node> | undefined;
  /** The bindings as they were when bindAssignments reached each loop, before the loop's own assignments. */
  private beforeLoops: Map<Node, { bindings: Map<string, Binding>; assignedTwice: Set<string> | undefined }> | undefined;

  /**
   * Names this scope follows in execution order (followedNames.ts): bindAssignments does not
   * bind them here or in any scope below; the interpreter records each assignment it executes
   * (assignFollowed), and code it does not follow for certain makes them unknown.
   */
  private follows: Set<string> | undefined;
  /**
   * Names bound to an expression that reads a followed name (`previous_dilation = self.dilation`):
   * unknown until the interpreter executes the assignment (assignNow), which fixes its value then.
   */
  private pending: Set<string> | undefined;

  constructor(readonly parent: Scope | undefined) {}

  /** Follows `names` here in execution order from now on (their bindings so far are their values before the first executed assignment). */
  followInOrder(names: Iterable<string>): void {
    for (const name of names) (this.follows ??= new Set()).add(name);
  }

  /**
   * Follows a function's locals in execution order (followedNames.ts reassignedLocals): a
   * parameter keeps its argument until the body assigns it; any other name is unbound (unknown,
   * never a module constant of the same name) until its first assignment runs.
   */
  followLocals(locals: ReadonlyMap<string, boolean>): void {
    for (const [name, parameter] of locals) {
      if (!parameter) this.bindings.set(name, { value: undefined });
      (this.follows ??= new Set()).add(name);
    }
  }

  /** The scope that follows `name` in execution order: this one or an enclosing one (an instance's scope for `self.X`). */
  followerOf(name: string): Scope | undefined {
    return this.follows?.has(name) ? this : this.parent?.followerOf(name);
  }

  /** True when some scope here or above follows names in execution order. */
  followsAny(): boolean {
    return this.follows !== undefined || this.parent?.followsAny() === true;
  }

  /**
   * A scope in front of this one holding each followed name of `names` at its binding now, so an
   * expression read later in it sees what it would have seen here (values.ts snapshot). Names
   * not followed have one binding each and are read through this scope as before.
   */
  pinned(node: Node): Scope {
    const pinned = new Scope(this);
    for (const name of mentionedNames(node)) {
      if (!this.followerOf(name)) continue;
      const binding = this.lookup(name) ?? { value: undefined };
      // The same assignment run again (`curr_dim = curr_dim // 2` in a loop's second pass): its
      // previous binding is that expression too, which evaluate() would take for a read of the
      // assignment itself (`model.fc = nn.Linear(model.fc.in_features, …)`): its value now.
      const same = 'node' in binding && binding.node.startIndex <= node.startIndex && node.endIndex <= binding.node.endIndex;
      pinned.bindings.set(name, same ? { value: evaluate(binding.node, binding.scope) } : binding);
    }
    return pinned;
  }

  /** True when evaluating `node` in this scope reads a followed name: its value depends on when it is read. */
  readsFollowed(node: Node): boolean {
    // Asked of every expression bound while names are followed: the text is tried first, so
    // most expressions are never split into the names they mention (issue 16: allocation).
    if (!this.followsAny() || !this.mayMentionFollowed(node.text)) return false;
    return mentionedNames(node).some((name) => this.followerOf(name) !== undefined);
  }

  /** Whether `text` contains a name some scope here or above follows (a superset of the expressions reading one). */
  mayMentionFollowed(text: string): boolean {
    if (this.follows) for (const name of this.follows) if (text.includes(name)) return true;
    return this.parent?.mayMentionFollowed(text) === true;
  }

  /**
   * Records an executed assignment of the followed `name` (an interpreter step, in order):
   * its new value, kept as the expression when nothing it reads changes later, else evaluated
   * now. A loop variable's own binding in a loop pass takes it, else the following scope.
   */
  assignFollowed(name: string, node: Node | undefined, scope: Scope): void {
    const binding: Binding = node && !scope.readsFollowed(node) ? { node, scope } : node ? snapshot(node, scope) : { value: undefined };
    this.setFollowed(name, binding);
  }

  /** A followed name's new value, already computed (`self.dilation *= stride`). */
  assignFollowedValue(name: string, value: Value): void {
    this.setFollowed(name, { value });
  }

  private setFollowed(name: string, binding: Binding): void {
    const owner = this.followerOf(name);
    const target = owner ? this.holderOf(name, owner) : undefined;
    if (!target) return;
    target.assignedTwice?.delete(name);
    target.bindings.set(name, binding);
  }

  /** The scope between here and `owner` that binds `name` itself (a loop pass's loop variable), else `owner`. */
  private holderOf(name: string, owner: Scope): Scope {
    if (this === owner || this.bindings.has(name) || !this.parent) return this.bindings.has(name) || this === owner ? this : owner;
    return this.parent.holderOf(name, owner);
  }

  /** The interpreter executed `name = node` in this scope: a pending binding gets its value now (a name assigned twice stays unknown). */
  assignNow(name: string, node: Node, scope: Scope): void {
    if (!this.pending?.has(name)) return;
    this.pending.delete(name);
    if (!this.assignedTwice?.has(name)) this.bindings.set(name, snapshot(node, scope));
  }

  /** Whether binding `name` here is left to the interpreter's executed assignments (a followed name). */
  private deferred(name: string): boolean {
    return this.followerOf(name) !== undefined;
  }

  /** Binds `name` to an expression evaluated lazily in `scope`; a second assignment makes it unknown. */
  bindExpression(name: string, node: Node, scope: Scope): void {
    if (this.deferred(name)) return;
    if (scope.readsFollowed(node)) {
      // Read lazily, it would see the followed name's latest value, not the one at this assignment.
      if (this.bindings.has(name)) (this.assignedTwice ??= new Set()).add(name);
      else (this.pending ??= new Set()).add(name);
      this.bindings.set(name, { value: undefined });
      return;
    }
    let literal = literalOf(node);
    const prior = this.bindings.get(name);
    if (prior) {
      (this.assignedTwice ??= new Set()).add(name);
      const before = prior.literal;
      literal = before !== undefined && before !== 'mixed' && literal !== 'mixed' && before.value === literal.value ? before : 'mixed';
    }
    this.bindings.set(name, { node, scope, literal });
  }

  bindValue(name: string, value: Value | undefined): void {
    this.bindings.set(name, { value });
  }

  /**
   * `a, b = right`: the name is item `index` of `right`'s value when that is a sequence of `count`
   * items (vit-pytorch's `image_height, image_width = pair(image_size)`), read lazily in `scope`
   * as every binding is; a second assignment makes it unknown as any other.
   */
  bindUnpacked(name: string, right: Node, scope: Scope, index: number, count: number): void {
    if (this.deferred(name)) return;
    if (this.bindings.has(name)) (this.assignedTwice ??= new Set()).add(name);
    if (scope.readsFollowed(right)) {
      // Read lazily it would see the followed name's latest value, not the one at this assignment.
      this.bindings.set(name, { value: undefined });
      return;
    }
    let reading = false;
    this.bindings.set(name, {
      get value(): Value | undefined {
        // `a, b = b, a` reads itself: unknown, not a loop.
        if (reading) return undefined;
        reading = true;
        try {
          const v = evaluate(right, scope);
          return Array.isArray(v) && v.length === count ? (v as readonly Value[])[index] : undefined;
        } finally {
          reading = false;
        }
      },
    });
  }

  /** An assignment whose value is not followed (a loop variable after its loop): unknown, and it counts as one. */
  bindUnknown(name: string): void {
    if (this.deferred(name)) return;
    if (this.bindings.has(name)) (this.assignedTwice ??= new Set()).add(name);
    this.bindings.set(name, { value: undefined });
  }

  /**
   * A value the name has wherever it is read, whatever the block assigns (Keras's implicit mask
   * None where the method assigns it only under `if mask is not None:`, kerasTokens.ts).
   */
  settle(name: string, value: Value): void {
    this.assignedTwice?.delete(name);
    this.bindings.set(name, { value });
  }

  /** A function's parameters bound here and not yet assigned by its body (rebindParameter). */
  private parameters: Set<string> | undefined;

  markParameter(name: string): void {
    (this.parameters ??= new Set()).add(name);
  }

  /** Whether `name` is a parameter of this scope's function that its body has not assigned yet. */
  isUnassignedParameter(name: string): boolean {
    return this.parameters?.has(name) === true && this.assignedTwice?.has(name) !== true;
  }

  /**
   * `img_size = to_2tuple(img_size)` (timm's PatchEmbed) as the first statement of the body that
   * names the parameter, outside any branch or loop: from there on the name is the right side,
   * read with the name still meaning the parameter. Any later assignment makes it unknown.
   */
  rebindParameter(name: string, right: Node): void {
    const parameter = this.bindings.get(name);
    if (!parameter) return;
    const before = new Scope(this);
    before.bindings.set(name, parameter);
    this.bindings.set(name, { node: right, scope: before, literal: literalOf(right) });
    this.parameters!.delete(name);
  }

  /**
   * A value the name has from here on, set where it is bound (this scope or the nearest enclosing
   * one that binds it): `self.patch_embed = PatchEmbed(…)` run by the interpreter is that part's
   * record (instanceRecord), whatever expression wrote it.
   */
  settleBound(name: string, value: Value): void {
    if (this.bindings.has(name) || !this.parent?.bindingScope(name)) this.settle(name, value);
    else this.parent.settleBound(name, value);
  }

  /** Whether this scope or an enclosing one binds `name`. */
  private bindingScope(name: string): boolean {
    return this.bindings.has(name) || this.parent?.bindingScope(name) === true;
  }

  /**
   * A scope below this one in which each of `names` means what it means in `source`
   * (`functools.partial`'s bound arguments read at the call: partials.ts); unbound there, unknown.
   */
  bridged(names: readonly string[], source: Scope): Scope {
    const bridge = new Scope(this);
    for (const name of names) bridge.bindings.set(name, source.lookup(name) ?? { value: undefined });
    return bridge;
  }

  /** Replaces a binding (an argument overriding a parameter's default) without counting it as a reassignment. */
  rebind(name: string, node: Node, scope: Scope): void {
    this.assignedTwice?.delete(name);
    if (scope.readsFollowed(node)) {
      // `block(self.in_planes, planes)`: the value at the call, not whatever the attribute holds when the parameter is read.
      this.bindings.set(name, snapshot(node, scope));
      return;
    }
    this.bindings.set(name, { node, scope, literal: literalOf(node) });
  }

  /**
   * `if NAME is None: NAME = right` on a name bound here (a parameter): when the parameter's
   * value is known, the name is bound to its value after the `if` and the statement is
   * settled (the interpreter skips it). False when the value is not known: the assignment
   * then counts as a second one, and the name is unknown.
   */
  settleNoneDefault(name: string, right: Node, statement: Node): boolean {
    const prior = this.bindings.get(name);
    if (!prior || this.assignedTwice?.has(name) === true) return false;
    const priorNode = 'node' in prior ? prior.node : undefined;
    const value = 'node' in prior ? evaluate(prior.node, prior.scope) : prior.value;
    const isNone = value === null ? true : value !== undefined || (priorNode !== undefined && NEVER_NONE.has(priorNode.type)) ? false : undefined;
    if (isNone === undefined) return false;
    // The name's literal stays the one its assignments wrote (the `if` is not an assignment of it).
    if (isNone) this.bindings.set(name, { node: right, scope: this, literal: prior.literal });
    (this.settled ??= new Set()).add(statement);
    return true;
  }

  /** Records the bindings a loop starts from (its body's assignments are about to be bound here too). */
  enterLoop(loop: Node): void {
    // Copied by forEach: `new Map(map)` steps an iterator, allocating per entry in V8's baseline tiers (issue 16).
    const bindings = new Map<string, Binding>();
    this.bindings.forEach((binding, name) => bindings.set(name, binding));
    (this.beforeLoops ??= new Map()).set(loop, { bindings, assignedTwice: this.assignedTwice && new Set(this.assignedTwice) });
  }

  /**
   * A name's value when `loop` starts: the binding it had before the loop's own assignments
   * were bound (they make it unknown for the rest of the block), read where the loop was
   * bound or in an enclosing scope. Lazy like every binding; undefined when not known.
   */
  valueBeforeLoop(loop: Node, name: string): Value | undefined {
    const before = this.beforeLoops?.get(loop);
    if (!before) return this.parent?.valueBeforeLoop(loop, name);
    if (before.assignedTwice?.has(name) === true) return undefined;
    const binding = before.bindings.get(name) ?? this.parent?.lookup(name);
    if (!binding) return undefined;
    return 'node' in binding ? evaluate(binding.node, binding.scope) : binding.value;
  }

  /** Config dataclasses of the file (`@dataclass class Config: hidden: int = 256`), registered on the module scope. */
  private configClasses: Map<string, Node> | undefined;

  registerConfigClass(name: string, definition: Node): void {
    (this.configClasses ??= new Map()).set(name, definition);
  }

  /** What a call to a library model builds (frameworks/libraryModels.ts), read through the file's imports; set on the module scope. */
  private libraryReader: ((call: CallParts) => RecordValue | undefined) | undefined;

  registerLibraryModels(reader: (call: CallParts) => RecordValue | undefined): void {
    this.libraryReader = reader;
  }

  /** The module's own functions and those it imports, and how a call of one folds; set on the module scope (functionValues.ts). */
  private functionReader: ((name: string) => Node | undefined) | undefined;
  private functionFolder: FunctionFolder | undefined;

  registerFunctions(reader: (name: string) => Node | undefined, folder: FunctionFolder): void {
    this.functionReader = reader;
    this.functionFolder = folder;
  }

  /** The module function `name` means here (a local binding of the name hides it), with the folder that folds its calls. */
  userFunction(name: string): { readonly definition: Node; readonly fold: FunctionFolder } | undefined {
    if (this.bindings.has(name)) return undefined;
    if (this.functionReader && this.functionFolder) {
      const definition = this.functionReader(name);
      return definition ? { definition, fold: this.functionFolder } : undefined;
    }
    return this.parent?.userFunction(name);
  }

  /** The record of the library model a call builds (`resnet18()`: `.fc.in_features` 512), if the catalog knows it. */
  libraryModel(call: CallParts): RecordValue | undefined {
    return this.libraryReader ? this.libraryReader(call) : this.parent?.libraryModel(call);
  }

  /** Every class the module defines at top level (registered on the module scope), for its class attributes. */
  private classes: Map<string, Node> | undefined;

  registerClass(name: string, definition: Node): void {
    (this.classes ??= new Map()).set(name, definition);
  }

  /** The class `name` names here or in an enclosing scope (a local binding of the name hides it). */
  classDefinition(name: string): { definition: Node; scope: Scope } | undefined {
    if (this.bindings.has(name)) return undefined;
    const definition = this.classes?.get(name);
    return definition ? { definition, scope: this } : this.parent?.classDefinition(name);
  }

  /** The config dataclass `name` names here or in an enclosing scope (a local binding of the name hides it). */
  configClass(name: string): Node | undefined {
    if (this.bindings.has(name)) return undefined;
    return this.configClasses?.get(name) ?? this.parent?.configClass(name);
  }

  /** A statement settleNoneDefault settled here or in an enclosing scope. */
  isSettled(statement: Node): boolean {
    return this.settled?.has(statement) === true || this.parent?.isSettled(statement) === true;
  }

  /** The binding a name has here or in an enclosing scope. */
  lookup(name: string): Binding | undefined {
    if (this.assignedTwice?.has(name) === true) {
      const literal = this.bindings.get(name)?.literal;
      return { value: literal !== undefined && literal !== 'mixed' ? literal.value : undefined };
    }
    return this.bindings.get(name) ?? this.parent?.lookup(name);
  }

  /**
   * The expression a name is bound to (for reading `act = nn.ReLU` or `init = HeNormal()`
   * through variables), or a config record's field (`cfg.kernel_init` with `cfg` a
   * `@struct.dataclass` config: the expression the call gave the field, else its default).
   */
  expressionOf(name: string): { node: Node; scope: Scope } | undefined {
    const binding = this.lookup(name);
    if (binding) return 'node' in binding ? binding : undefined;
    const dot = name.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const head = this.lookup(name.slice(0, dot));
    if (!head) return undefined;
    const value = 'node' in head ? (MAY_BE_RECORD.has(head.node.type) ? evaluate(head.node, head.scope) : undefined) : head.value;
    return isRecord(value) ? recordExpressions.get(value)?.get(name.slice(dot + 1)) : undefined;
  }
}

/**
 * What an expression that reads a followed name holds now: a name's current binding itself
 * (bindings are replaced, never changed, so it stays what it is: `norm_layer = self._norm_layer`
 * keeps the class it names), else the expression read lazily, as every binding is, in a scope
 * that holds each followed name it reads at its binding now (Scope.pinned). Evaluating it here
 * instead cost ~6% of reading torchvision's ResNets (`self.bn1 = norm_layer(width)` in every
 * block, `out = self.conv3(out)` in every forward), almost all of it for values nothing reads.
 */
function snapshot(node: Node, scope: Scope): Binding {
  if (node.type === 'identifier' || node.type === 'attribute') {
    const name = dottedName(node);
    const binding = name !== undefined ? scope.lookup(name) : undefined;
    if (binding) return binding;
  }
  return { node, scope: scope.pinned(node) };
}

/** Folds a call of one of the module's functions in the caller's scope (functionValues.ts); undefined when not certain. */
export type FunctionFolder = (definition: Node, call: CallParts, callerScope: Scope, depth: number) => Value | undefined;

type LiteralBinding = { readonly value: number | string | boolean | null } | 'mixed';

/** The scope a literal is read in: it names nothing (nothing ever binds here). */
const NO_NAMES = new Scope(undefined);

/** `256`, `-1`, `0.5`, `"relu"`, `True`, `None`: a literal's value; anything else is 'mixed' (its value may differ between assignments). */
export function literalOf(node: Node): LiteralBinding {
  let n = node;
  while (n.type === 'parenthesized_expression' && n.namedChild(0)) n = n.namedChild(0)!;
  const literal = n.type === 'integer' || n.type === 'float' || n.type === 'string' || n.type === 'true' || n.type === 'false' || n.type === 'none'
    || (n.type === 'unary_operator' && (n.childForFieldName('argument')?.type === 'integer' || n.childForFieldName('argument')?.type === 'float'));
  if (!literal) return 'mixed';
  const value = evaluate(n, NO_NAMES);
  return value === undefined || (typeof value === 'object' && value !== null) ? 'mixed' : { value };
}

/**
 * Binds every simple `NAME = expr` and `self.NAME = expr` of a block (module level, a
 * function body) in `scope`, descending into if/with/try blocks and loop bodies but not
 * into nested functions or classes. A loop's variables are unknown after it, and a name a
 * loop body assigns counts as assigned here too: `d = 784` followed by `for w in ws: ...;
 * d = w` leaves `d` unknown after the loop, not 784 (each unrolled iteration binds the
 * body's own assignments in its own scope, interpreter.ts). An augmented assignment
 * (`c *= 2`) counts as an assignment whose value is not followed.
 */
export function bindAssignments(statements: readonly Node[], scope: Scope, depth = 0): void {
  for (let i = 0; i < statements.length; i++) {
    const statement = statements[i]!;
    if (statement.type === 'expression_statement') {
      const assignment = statement.namedChild(0);
      if (assignment?.type === 'augmented_assignment') {
        // `c *= 2` changes c: like a second assignment, it leaves c unknown (never the value before it).
        const name = dottedName(assignment.childForFieldName('left') ?? assignment);
        if (name !== undefined) scope.bindUnknown(name);
        continue;
      }
      if (assignment?.type !== 'assignment') continue;
      const target = assignment.childForFieldName('left');
      const right = assignment.childForFieldName('right');
      // A parameter followed in execution order (followedNames.ts) takes each assignment as it runs instead.
      if (depth === 0 && target?.type === 'identifier' && right && right.type !== 'assignment' && scope.isUnassignedParameter(target.text)
        && !scope.followerOf(target.text) && !statements.slice(0, i).some((s) => mentions(s, target.text))) {
        scope.rebindParameter(target.text, right);
        continue;
      }
      bindAssignment(assignment, scope);
    } else if (statement.type === 'if_statement' && settleNoneDefault(statement, scope)) {
      continue;
    } else if (depth < 4 && statement.type === 'for_statement') {
      scope.enterLoop(statement);
      const left = statement.childForFieldName('left');
      const targets = left && (left.type === 'pattern_list' || left.type === 'tuple_pattern') ? left.namedChildren : left ? [left] : [];
      for (const target of targets) {
        const name = dottedName(target);
        if (name !== undefined) scope.bindUnknown(name);
      }
      const body = statement.childForFieldName('body');
      if (body) bindAssignments(body.namedChildren, scope, depth + 1);
      for (const clause of statement.childrenForFieldName('alternative')) bindAssignments(clause.namedChildren, scope, depth + 1);
    } else if (depth < 4 && (statement.type === 'if_statement' || statement.type === 'with_statement' ||
      statement.type === 'try_statement' || statement.type === 'while_statement' || statement.type === 'block' || statement.type === 'else_clause' ||
      statement.type === 'elif_clause' || statement.type === 'except_clause' || statement.type === 'finally_clause')) {
      bindAssignments(statement.namedChildren, scope, depth + 1);
    }
  }
}

/** Whether a statement names `name` anywhere (a read, an assignment, a nested function's use). */
function mentions(statement: Node, name: string): boolean {
  return statement.descendantsOfType('identifier').some((n) => n.text === name);
}

/**
 * One assignment statement: `x = e`, `self.x = e`, a chain (`self.patch_size = patch_height,
 * patch_width = pair(patch_size)`: every target gets the rightmost value) and unpacking into
 * names (`a, b = e`: each its item of e's value).
 */
function bindAssignment(assignment: Node, scope: Scope): void {
  const targets: Node[] = [];
  let value: Node = assignment;
  while (value.type === 'assignment') {
    const left = value.childForFieldName('left');
    const right = value.childForFieldName('right');
    if (!left || !right) return;
    targets.push(left);
    value = right;
  }
  for (let t = 0; t < targets.length; t++) {
    const target = targets[t]!;
    if (target.type === 'pattern_list' || target.type === 'tuple_pattern') {
      const items = target.namedChildren.filter((c) => c.type !== 'comment');
      // `a, *rest = e` binds a list to rest: each name unknown (it is still assigned).
      const starred = items.some((c) => c.type === 'list_splat_pattern');
      items.forEach((item, i) => {
        if (item.type === 'pattern_list' || item.type === 'tuple_pattern' || item.type === 'list_pattern') {
          // `(a, b), c = e`: the nested names are assigned, their values not followed.
          for (const inner of item.descendantsOfType('identifier')) scope.bindUnknown(inner.text);
          return;
        }
        const name = dottedName(item.type === 'list_splat_pattern' ? item.namedChild(0) ?? item : item);
        if (name === undefined) return;
        if (starred) scope.bindUnknown(name);
        else scope.bindUnpacked(name, value, scope, i, items.length);
      });
      continue;
    }
    const name = dottedName(target);
    if (name !== undefined) scope.bindExpression(name, value, scope);
  }
}

/**
 * The None-default idiom, `if NAME is None: NAME = expr` (torchvision's `norm_layer`,
 * `init_weights`) with nothing else in the `if`: settled in `scope` when NAME's value is
 * known there (Scope.settleNoneDefault).
 */
function settleNoneDefault(statement: Node, scope: Scope): boolean {
  let idiom = noneDefaults.get(statement);
  if (idiom === undefined) {
    idiom = noneDefaultIdiom(statement);
    noneDefaults.set(statement, idiom);
  }
  return idiom !== null && scope.settleNoneDefault(idiom.name, idiom.right, statement);
}

/** Each `if` statement's None-default idiom read once (bindAssignments reads a body per call and instance). */
const noneDefaults = new WeakMap<Node, { readonly name: string; readonly right: Node } | null>();

/** `if NAME is None: NAME = expr` as written: NAME and expr, else null. */
function noneDefaultIdiom(statement: Node): { readonly name: string; readonly right: Node } | null {
  if (statement.childrenForFieldName('alternative').length > 0) return null;
  const condition = statement.childForFieldName('condition');
  const body = statement.childForFieldName('consequence')?.namedChildren.filter((c) => c.type !== 'comment');
  if (condition?.type !== 'comparison_operator' || body?.length !== 1 || condition.namedChildCount !== 2) return null;
  const [subject, none] = condition.namedChildren as [Node, Node];
  if (subject.type !== 'identifier' || none.type !== 'none') return null;
  const operator = condition.children.filter((c) => !c.isNamed).map((c) => c.text).join(' ');
  if (operator !== 'is' && operator !== '==') return null;
  const assignment = body[0]!.type === 'expression_statement' ? body[0]!.namedChild(0) : null;
  const right = assignment?.type === 'assignment' ? assignment.childForFieldName('right') : null;
  if (!right || assignment?.childForFieldName('left')?.text !== subject.text) return null;
  return { name: subject.text, right };
}

/** Binds a function's parameters: defaults are read in `outer`; parameters without one are unknown. */
export function bindParameters(definition: Node, scope: Scope, outer: Scope): void {
  const parameters = definition.childForFieldName('parameters')?.namedChildren;
  if (!parameters) return;
  // Indexed: no iterator result per step in V8's baseline tiers (issue 16).
  for (let i = 0; i < parameters.length; i++) {
    const p = parameters[i]!;
    if (p.type === 'identifier') {
      scope.bindValue(p.text, undefined);
      scope.markParameter(p.text);
    } else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') {
      const name = p.childForFieldName('name');
      const value = p.childForFieldName('value');
      if (name && value) {
        scope.bindExpression(name.text, value, outer);
        scope.markParameter(name.text);
      }
    } else if (p.type === 'typed_parameter' || p.type === 'list_splat_pattern' || p.type === 'dictionary_splat_pattern') {
      // `*args` and `**kwargs` are locals too: unknown, never a module constant of the same name.
      const name = p.namedChild(0);
      // `config: Config` without a default, Config a config class of the file with a default on
      // every field: its defaults (issue 11 §4). A caller's argument replaces them
      // (arguments.ts); only a model analysed with its own defaults (a root class) keeps them.
      const type = p.type === 'typed_parameter' ? p.childForFieldName('type') ?? undefined : undefined;
      if (name?.type === 'identifier') scope.bindValue(name.text, type ? defaultConfig(type, outer) : undefined);
      if (name?.type === 'identifier' && p.type === 'typed_parameter') scope.markParameter(name.text);
    }
  }
}

export function isNumber(value: Value | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isRecord(value: Value | undefined): value is RecordValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DECIMAL_DIGITS = /^[0-9]+$/;

export function evaluate(node: Node, scope: Scope, depth = 0): Value | undefined {
  if (depth > MAX_DEPTH) return undefined;
  switch (node.type) {
    case 'integer': {
      // Plain decimal digits (nearly every literal): their number, without the rewrites below.
      const written = node.text;
      if (DECIMAL_DIGITS.test(written)) {
        const n = Number(written);
        return Number.isSafeInteger(n) ? n : undefined;
      }
      const text = written.replace(/_/g, '').toLowerCase();
      const n = text.startsWith('0x') || text.startsWith('0o') || text.startsWith('0b') ? Number(text) : Number(text.replace(/l$/, ''));
      // `1j` is complex (NaN here: unknown); past 2^53 a double no longer holds the integer exactly.
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case 'float': {
      const n = Number(node.text.replace(/_/g, ''));
      return Number.isFinite(n) ? n : undefined;
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'none':
      return null;
    case 'string':
      return stringValue(node);
    case 'parenthesized_expression': {
      const inner = node.namedChild(0);
      return inner ? evaluate(inner, scope, depth + 1) : undefined;
    }
    case 'tuple':
    case 'expression_list':
    case 'list': {
      const items: Value[] = [];
      for (const child of node.namedChildren) {
        if (child.type === 'comment') continue;
        const v = evaluate(child, scope, depth + 1);
        if (v === undefined) return undefined;
        items.push(v);
      }
      return markSequence(items, node.type === 'list' ? 'list' : 'tuple');
    }
    case 'conditional_expression': {
      // `t if isinstance(t, tuple) else (t, t)`: the branch a certain condition picks.
      const [then, condition, otherwise] = node.namedChildren.filter((c) => c.type !== 'comment');
      if (!then || !condition || !otherwise) return undefined;
      const truth = truthy(evaluate(condition, scope, depth + 1));
      return truth === undefined ? undefined : evaluate(truth ? then : otherwise, scope, depth + 1);
    }
    case 'not_operator': {
      const argument = node.childForFieldName('argument');
      const truth = argument ? truthy(evaluate(argument, scope, depth + 1)) : undefined;
      return truth === undefined ? undefined : !truth;
    }
    case 'boolean_operator': {
      // Python's short circuit: `a and b` is a when a is false, else b; `a or b` is a when a is true, else b.
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      const op = node.childForFieldName('operator')?.text;
      if (!left || !right) return undefined;
      const a = evaluate(left, scope, depth + 1);
      const truth = truthy(a);
      if (truth === undefined) return undefined;
      if (op === 'and') return truth ? evaluate(right, scope, depth + 1) : a;
      if (op === 'or') return truth ? a : evaluate(right, scope, depth + 1);
      return undefined;
    }
    case 'comparison_operator':
      return comparisonValue(node, scope, depth);
    case 'identifier':
    case 'attribute': {
      const name = dottedName(node);
      if (name !== undefined) {
        const binding = scope.lookup(name);
        // `model.fc = nn.Linear(model.fc.in_features, 10)`: the right side reads the value
        // before its own assignment (the library model's fc), not the assignment itself.
        const own = binding && 'node' in binding && binding.node.startIndex <= node.startIndex && node.endIndex <= binding.node.endIndex;
        if (binding && !own) return 'node' in binding ? evaluate(binding.node, binding.scope, depth + 1) : binding.value;
        // A class of the file as a value (`ResNet(BasicBlock, …)`, then `block.expansion`): its class attributes.
        const cls = node.type === 'identifier' && !binding ? scope.classDefinition(name) : undefined;
        if (cls) return classAttributes(cls.definition, cls.scope, depth);
      }
      if (node.type === 'attribute') {
        if (name === 'math.pi' || name === 'np.pi' || name === 'numpy.pi') return Math.PI;
        const object = node.childForFieldName('object');
        const attribute = node.childForFieldName('attribute');
        if (!object || !attribute) return undefined;
        const base = evaluate(object, scope, depth + 1);
        return isRecord(base) ? base.attributes.get(attribute.text) : undefined;
      }
      return undefined;
    }
    case 'unary_operator': {
      const operand = node.childForFieldName('argument');
      const op = node.childForFieldName('operator')?.text ?? node.children[0]?.text;
      const v = operand ? evaluate(operand, scope, depth + 1) : undefined;
      if (!isNumber(v)) return undefined;
      return op === '-' ? -v : op === '+' ? v : undefined;
    }
    case 'binary_operator':
      return binary(node, scope, depth);
    case 'subscript': {
      const value = node.childForFieldName('value');
      const index = node.childForFieldName('subscript');
      if (!value || !index) return undefined;
      const container = evaluate(value, scope, depth + 1);
      if (index.type === 'slice') return sliceOf(container, index, scope, depth);
      const i = evaluate(index, scope, depth + 1);
      if (!Array.isArray(container) || !isNumber(i) || !Number.isInteger(i)) return undefined;
      const items = container as readonly Value[];
      return items[i < 0 ? items.length + i : i];
    }
    case 'call':
      return callValue(node, scope, depth);
    case 'list_comprehension':
      return comprehensionValue(node, scope, depth);
    default:
      return undefined;
  }
}

/** The most items a folded comprehension or linspace may have: more is not a setting a model reads. */
const MAX_FOLDED_ITEMS = 4096;

/**
 * `[x.item() for x in torch.linspace(0, drop_path_rate, sum(depths))]` (timm's, ConvNeXt's and
 * Swin's stochastic-depth rates per block), `[2 * d for d in dims]`: one `for` over a sequence the
 * folder knows, no `if`, the body folded per item with the name bound to it.
 */
function comprehensionValue(node: Node, scope: Scope, depth: number): Value | undefined {
  const parts = node.namedChildren.filter((c) => c.type !== 'comment');
  const [body, clause] = parts;
  if (parts.length !== 2 || !body || clause?.type !== 'for_in_clause') return undefined;
  const name = clause.childForFieldName('left');
  const right = clause.childForFieldName('right');
  if (name?.type !== 'identifier' || !right) return undefined;
  const folded = linspaceValue(right, scope, depth) ?? evaluate(right, scope, depth + 1);
  if (!Array.isArray(folded) || folded.length > MAX_FOLDED_ITEMS) return undefined;
  const items: readonly Value[] = folded;
  const out: Value[] = [];
  for (const item of items) {
    const inner = new Scope(scope);
    inner.bindValue(name.text, item);
    const v = evaluate(body, inner, depth + 1);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return markSequence(out, 'list');
}

/** `torch.linspace(start, end, steps)`, `np.linspace(start, stop, num=50)`: its values, start and end included. */
function linspaceValue(node: Node, scope: Scope, depth: number): Value[] | undefined {
  const call = node.type === 'call' ? callParts(node) : undefined;
  const name = call ? dottedName(call.callee) : undefined;
  if (!call || (name !== 'torch.linspace' && name !== 'np.linspace' && name !== 'numpy.linspace')) return undefined;
  const start = call.positional[0] ?? call.keywords.get('start')?.value;
  const end = call.positional[1] ?? call.keywords.get(name === 'torch.linspace' ? 'end' : 'stop')?.value;
  const count = call.positional[2] ?? call.keywords.get(name === 'torch.linspace' ? 'steps' : 'num')?.value;
  const a = start ? evaluate(start, scope, depth + 1) : undefined;
  const b = end ? evaluate(end, scope, depth + 1) : undefined;
  const n = count ? evaluate(count, scope, depth + 1) : name === 'torch.linspace' ? undefined : 50;
  if (!isNumber(a) || !isNumber(b) || !isNumber(n) || !Number.isInteger(n) || n < 0 || n > MAX_FOLDED_ITEMS) return undefined;
  return Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
}

/**
 * `a == b`, `a < b <= c` (a chain holds when every link does), `a is None`, `a is not None`,
 * `x in xs`: decided only where Python's answer is certain (valueLogic.ts).
 */
function comparisonValue(node: Node, scope: Scope, depth: number): boolean | undefined {
  const operands = node.namedChildren.filter((c) => c.type !== 'comment');
  const operators: string[] = [];
  // Operators between operands: `is not` and `not in` are two tokens.
  let pending: string[] = [];
  for (const child of node.children) {
    if (child.isNamed) {
      if (pending.length > 0) operators.push(pending.join(' '));
      pending = [];
    } else pending.push(child.text);
  }
  if (operands.length < 2 || operators.length !== operands.length - 1) return undefined;
  const values = operands.map((o) => evaluate(o, scope, depth + 1));
  let all = true;
  for (let i = 0; i < operators.length; i++) {
    const op = operators[i]!;
    const a = values[i];
    const b = values[i + 1];
    let r: boolean | undefined;
    if (op === '==' || op === '!=') {
      const same = pythonEquals(a, b);
      r = same === undefined ? undefined : op === '==' ? same : !same;
    } else if (op === 'is' || op === 'is not') {
      // Identity is certain only against None.
      const none = operands[i + 1]!.type === 'none' ? pythonIsNone(a) : operands[i]!.type === 'none' ? pythonIsNone(b) : undefined;
      r = none === undefined ? undefined : op === 'is' ? none : !none;
    } else if (op === 'in' || op === 'not in') {
      const inside = pythonContains(b, a);
      r = inside === undefined ? undefined : op === 'in' ? inside : !inside;
    } else r = pythonOrder(op, a, b);
    if (r === false) return false;
    if (r === undefined) all = false;
  }
  return all ? true : undefined;
}

/** `xs[a:b]` with constant bounds (step 1). */
function sliceOf(container: Value | undefined, slice: Node, scope: Scope, depth: number): Value | undefined {
  if (!Array.isArray(container)) return undefined;
  const items = container as readonly Value[];
  const parts: (number | undefined)[] = [undefined, undefined];
  let part = 0;
  for (const child of slice.children) {
    if (child.type === ':') {
      part++;
      if (part > 1) return undefined;
      continue;
    }
    const v = evaluate(child, scope, depth + 1);
    if (!isNumber(v) || !Number.isInteger(v)) return undefined;
    parts[part] = v;
  }
  const norm = (i: number | undefined, fallback: number) => (i === undefined ? fallback : i < 0 ? Math.max(0, items.length + i) : Math.min(i, items.length));
  return markSequence(items.slice(norm(parts[0], 0), norm(parts[1], items.length)), sequenceKind(container));
}

function binary(node: Node, scope: Scope, depth: number): Value | undefined {
  const left = node.childForFieldName('left');
  const right = node.childForFieldName('right');
  const op = node.childForFieldName('operator')?.text;
  if (!left || !right || !op) return undefined;
  const a = evaluate(left, scope, depth + 1);
  const b = evaluate(right, scope, depth + 1);
  if (Array.isArray(a) || Array.isArray(b)) return sequenceArithmetic(op, a, b);
  if (!isNumber(a) || !isNumber(b)) return undefined;
  let r: number;
  switch (op) {
    case '+': r = a + b; break;
    case '-': r = a - b; break;
    case '*': r = a * b; break;
    case '/': if (b === 0) return undefined; r = a / b; break;
    case '//': if (b === 0) return undefined; r = Math.floor(a / b); break;
    case '%': if (b === 0) return undefined; r = ((a % b) + b) % b; break;
    case '**': r = a ** b; break;
    default: return undefined;
  }
  if (!Number.isFinite(r)) return undefined;
  // Python's integers are exact at any size; a double is exact only up to 2^53. An integer result
  // past that (`2**60`) would show the user a rounded width: unknown instead (hostile inputs).
  if (Number.isInteger(a) && Number.isInteger(b) && op !== '/' && !Number.isSafeInteger(r)) return undefined;
  return r;
}

/** Longer constant sequences are not shapes or layer widths; the cap keeps `(0,) * 10**9` cheap. */
const MAX_SEQUENCE = 1024;

/**
 * Python's `+` and `*` on tuples and lists (`image_size + (3,)`, `(64,) * 3`, `3 * [128]`):
 * concatenation of two sequences, repetition by a whole number (≤ 0 gives an empty
 * sequence, as in Python). Anything else on a sequence is unknown.
 */
function sequenceArithmetic(op: string, a: Value | undefined, b: Value | undefined): Value | undefined {
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) {
    const joined = [...(a as readonly Value[]), ...(b as readonly Value[])];
    // tuple + tuple is a tuple, list + list a list (Python refuses to mix them).
    const kind = sequenceKind(a) === sequenceKind(b) ? sequenceKind(a) : undefined;
    return joined.length <= MAX_SEQUENCE ? markSequence(joined, kind) : undefined;
  }
  if (op !== '*') return undefined;
  const [items, times] = Array.isArray(a) ? [a as readonly Value[], b] : [b as readonly Value[], a];
  // A bool is an int in Python, but `(3,) * True` is no shape anyone writes: unknown.
  if (!isNumber(times) || !Number.isInteger(times)) return undefined;
  const n = Math.max(0, times);
  if (items.length === 0) return markSequence([], sequenceKind(items));
  if (n * items.length > MAX_SEQUENCE) return undefined;
  return markSequence(Array.from({ length: n }, () => items).flat(), sequenceKind(items));
}

function callValue(node: Node, scope: Scope, depth: number): Value | undefined {
  const call = callParts(node);
  if (!call) return undefined;
  const name = dottedName(call.callee);
  const first = call.positional[0];
  const arg = first ? evaluate(first, scope, depth + 1) : undefined;
  switch (name) {
    case 'math.sqrt': case 'np.sqrt': case 'numpy.sqrt': case 'jnp.sqrt': case 'sqrt':
      return isNumber(arg) && arg >= 0 ? Math.sqrt(arg) : undefined;
    case 'math.log': case 'np.log': case 'numpy.log': {
      // math.log(x) and math.log(x, base).
      const base = call.positional[1] ? evaluate(call.positional[1], scope, depth + 1) : Math.E;
      return isNumber(arg) && arg > 0 && isNumber(base) && base > 0 && base !== 1 && call.positional.length <= 2 ? Math.log(arg) / Math.log(base) : undefined;
    }
    case 'int':
      return isNumber(arg) ? Math.trunc(arg) : undefined;
    case 'float':
      return isNumber(arg) ? arg : undefined;
    case 'len':
      return Array.isArray(arg) ? arg.length : undefined;
    case 'sum': {
      // sum(depths), sum(depths, 0): numbers only.
      const start = call.positional[1] ? evaluate(call.positional[1], scope, depth + 1) : 0;
      if (scope.lookup('sum') !== undefined || scope.userFunction('sum')) return undefined;
      if (!Array.isArray(arg) || !arg.every(isNumber) || !isNumber(start) || call.positional.length > 2 || call.keywords.size > 0) return undefined;
      let total = start;
      for (const v of arg) total += v;
      return total;
    }
    case 'max':
    case 'min': {
      const values = call.positional.map((p) => evaluate(p, scope, depth + 1));
      if (values.length < 2 || !values.every(isNumber)) return undefined;
      return name === 'max' ? maxOf(values) : minOf(values);
    }
    case 'isinstance':
      return builtinIsInstance(call, scope, depth);
    default: {
      // `x.item()` of a number the folder knows (an item of a folded linspace): that number.
      if (call.callee.type === 'attribute' && call.callee.childForFieldName('attribute')?.text === 'item' && call.positional.length === 0 && call.keywords.size === 0) {
        const object = call.callee.childForFieldName('object');
        const v = object ? evaluate(object, scope, depth + 1) : undefined;
        return isNumber(v) ? v : undefined;
      }
      const config = name === undefined ? undefined : scope.configClass(name);
      if (config) return configRecord(config, call, scope, depth);
      // A function of the module (`pair(image_size)`): its return value, when the function is one the folder can read.
      const fn = call.callee.type === 'identifier' && name !== undefined ? scope.userFunction(name) : undefined;
      if (fn) return fn.fold(fn.definition, call, scope, depth + 1);
      return scope.libraryModel(call);
    }
  }
}

/**
 * `isinstance(v, tuple)`, `isinstance(v, (int, float))` on a constant and a builtin type (not
 * hidden by a name of the file); anything else is unknown here (conditions.ts decides modules).
 */
function builtinIsInstance(call: CallParts, scope: Scope, depth: number): boolean | undefined {
  if (call.positional.length !== 2 || call.keywords.size > 0 || scope.lookup('isinstance') !== undefined) return undefined;
  const [subject, types] = call.positional as [Node, Node];
  const names = types.type === 'tuple' ? types.namedChildren.filter((c) => c.type !== 'comment') : [types];
  if (names.length === 0 || !names.every((n) => n.type === 'identifier' && BUILTIN_TYPES.has(n.text) && scope.lookup(n.text) === undefined && !scope.userFunction(n.text))) return undefined;
  const value = evaluate(subject, scope, depth + 1);
  let all = true;
  for (const n of names) {
    const r = pythonIsInstance(value, n.text);
    if (r === true) return true;
    if (r === undefined) all = false;
  }
  return all ? false : undefined;
}

/**
 * `Config(hidden=512)` for a config dataclass of the file: a record of its fields — the
 * call's keywords and positions (in field order), else the defaults written in the class
 * (read at module level). A field with neither, or one `**kw` may set, is left out (unknown).
 */
function configRecord(definition: Node, call: CallParts, scope: Scope, depth: number): RecordValue {
  const attributes = new Map<string, Value>();
  const expressions = new Map<string, { node: Node; scope: Scope }>();
  const body = definition.childForFieldName('body')?.namedChildren ?? [];
  let position = 0;
  for (const statement of body) {
    const assignment = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
    if (assignment?.type !== 'assignment') continue;
    const name = assignment.childForFieldName('left');
    if (name?.type !== 'identifier') continue;
    // Annotated names are the dataclass's fields, in order; a plain `x = 1` is a class attribute.
    const field = assignment.childForFieldName('type') !== null;
    const given = call.keywords.get(name.text)?.value ?? (field && !call.spread ? call.positional[position] : undefined);
    if (field) position++;
    const written = given ?? (call.spread && field ? undefined : assignment.childForFieldName('right'));
    const value = written ? evaluate(written, given ? scope : rootOf(scope), depth + 1) : undefined;
    if (value !== undefined) attributes.set(name.text, value);
    if (written) expressions.set(name.text, { node: written, scope: given ? scope : moduleOf(scope) });
  }
  const record = { attributes };
  recordExpressions.set(record, expressions);
  return record;
}

/**
 * A class's own attributes (`expansion = 4` in the class body, read at module level), over those
 * of its bases among the file's classes, as Python's attribute lookup finds them. A name the body
 * assigns twice, or assigns anything not constant, is left out (unknown).
 */
function classAttributes(definition: Node, moduleScope: Scope, depth: number): RecordValue {
  const cached = CLASS_ATTRIBUTES.get(definition);
  if (cached) return cached;
  const attributes = new Map<string, Value>();
  CLASS_ATTRIBUTES.set(definition, { attributes }); // a class that names itself as a base reads nothing more
  for (const base of definition.childForFieldName('superclasses')?.namedChildren ?? []) {
    const inherited = base.type === 'identifier' ? moduleScope.classDefinition(base.text) : undefined;
    if (inherited) for (const [k, v] of classAttributes(inherited.definition, inherited.scope, depth + 1).attributes) attributes.set(k, v);
  }
  const assigned = new Set<string>();
  for (const statement of definition.childForFieldName('body')?.namedChildren ?? []) {
    const assignment = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
    if (assignment?.type !== 'assignment') continue;
    const name = assignment.childForFieldName('left');
    const right = assignment.childForFieldName('right');
    if (name?.type !== 'identifier') continue;
    const value = right && !assigned.has(name.text) ? evaluate(right, moduleScope, depth + 1) : undefined;
    assigned.add(name.text);
    if (value === undefined) attributes.delete(name.text);
    else attributes.set(name.text, value);
  }
  return { attributes };
}

const CLASS_ATTRIBUTES = new WeakMap<Node, RecordValue>();

/**
 * The value of a parameter or field annotated with one of the file's config classes and given
 * no value (`config: Config`, a Flax module's `cfg: Cfg` field): `Config()`, when every field
 * of the class has a default (issue 11 §4); undefined otherwise.
 */
export function defaultConfig(type: Node, scope: Scope): RecordValue | undefined {
  const config = /^[A-Za-z_]\w*$/.test(type.text) ? scope.configClass(type.text) : undefined;
  return config ? defaultConfigRecord(config, scope) : undefined;
}

/** `Config()` of a config class whose every field has a default; undefined when one has none. */
function defaultConfigRecord(definition: Node, scope: Scope): RecordValue | undefined {
  const attributes = new Map<string, Value>();
  const expressions = new Map<string, { node: Node; scope: Scope }>();
  for (const statement of definition.childForFieldName('body')?.namedChildren ?? []) {
    const assignment = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
    if (assignment?.type !== 'assignment') continue;
    const name = assignment.childForFieldName('left');
    const right = assignment.childForFieldName('right');
    if (name?.type !== 'identifier') continue;
    if (!right) return undefined;
    const value = evaluate(right, rootOf(scope));
    if (value !== undefined) attributes.set(name.text, value);
    expressions.set(name.text, { node: right, scope: moduleOf(scope) });
  }
  const record = { attributes };
  recordExpressions.set(record, expressions);
  return record;
}

/**
 * The expressions a config record's fields were given (an initializer, an activation
 * function: `kernel_init: Callable = nn.initializers.xavier_uniform()`), which no constant
 * value holds; read by Scope.expressionOf. A side table: records are plain values.
 */
const recordExpressions = new WeakMap<RecordValue, ReadonlyMap<string, { node: Node; scope: Scope }>>();

/** Expressions that may evaluate to a config record (a call, a name or attribute bound to one). */
const MAY_BE_RECORD: ReadonlySet<string> = new Set(['call', 'identifier', 'attribute']);

/** The module's own scope above `scope` (the one below the imports' scope at the root). */
function moduleOf(scope: Scope): Scope {
  let s = scope;
  while (s.parent?.parent) s = s.parent;
  return s;
}

function rootOf(scope: Scope): Scope {
  let s = scope;
  while (s.parent) s = s.parent;
  return s;
}

/**
 * The constants a module instance holds, as a record: `self.patch_embed.num_patches` reads
 * `self.num_patches` in that instance's own scope (timm's VisionTransformer takes its token count
 * from its PatchEmbed part). Read lazily, each time, as every binding is.
 */
export function instanceRecord(instanceScope: Scope): RecordValue {
  let record = instanceRecords.get(instanceScope);
  if (!record) {
    record = { attributes: new InstanceAttributes(instanceScope) };
    instanceRecords.set(instanceScope, record);
  }
  return record;
}

const instanceRecords = new WeakMap<Scope, RecordValue>();

/** `self.<key>` of one instance scope, looked up on demand (nothing to list: a part's constants are read by name). */
class InstanceAttributes extends Map<string, Value> {
  private reading = false;

  constructor(private readonly scope: Scope) {
    super();
  }

  override get(key: string): Value | undefined {
    // A part whose constant reads the owner's that reads the part: unknown, not a loop.
    if (this.reading) return undefined;
    this.reading = true;
    try {
      const binding = this.scope.lookup(`self.${key}`);
      if (!binding) return undefined;
      return 'node' in binding ? evaluate(binding.node, binding.scope) : binding.value;
    } finally {
      this.reading = false;
    }
  }

  override has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}

/** A positive whole number (a width, a count), or undefined. */
export function evaluateCount(node: Node | undefined, scope: Scope): number | undefined {
  if (!node) return undefined;
  const v = evaluate(node, scope);
  return isNumber(v) && Number.isInteger(v) && v >= 1 ? v : undefined;
}

/** A kernel size or stride: an int (repeated `rank` times) or a tuple of ints. */
export function evaluateSizes(node: Node | undefined, scope: Scope, rank: number, fallback: number | undefined): number[] | undefined {
  if (!node) return fallback === undefined ? undefined : Array.from({ length: rank }, () => fallback);
  const v = evaluate(node, scope);
  if (isNumber(v) && Number.isInteger(v) && v >= 1) return Array.from({ length: rank }, () => v);
  if (!Array.isArray(v)) return undefined;
  const items = v as readonly Value[];
  if (items.length !== rank) return undefined;
  const sizes: number[] = [];
  for (const x of items) {
    if (!isNumber(x) || !Number.isInteger(x) || x < 1) return undefined;
    sizes.push(x);
  }
  return sizes;
  return undefined;
}
