/**
 * The Python frontend's entry point: Keras (Sequential, functional, subclassed), PyTorch
 * (nn.Module, nn.Sequential) and Flax (linen, nnx) model code, read with tree-sitter and
 * run through a small abstract interpreter (interpreter.ts). Networks are the file's
 * root module classes (instantiated where the file instantiates them, else with their
 * default arguments), Sequential containers and functional models built at module level
 * or in builder functions. A file with syntax errors is analysed as far as it parses.
 */
import { identicalBlocksIn } from './interpreter/copiedBlocks';
import type { ParsedTree, PythonParser } from './syntax/parsedTree';
import type { Finding } from '../../findings';
import type { Network } from '../../ir';
import type { BackendMemo, FrontendResult, PythonSupport } from '../types';
import { diffEdit, type PythonMemory, type UnitEntry, type UnitOutcome } from './units/memory';
import { type UnitKey, UnitPlan } from './units/units';
import { Relocation, RelocationFailed } from '../../relocation';
import { componentClasses } from './units/components';
import { Imports } from './frameworks/imports';
import { libraryModelReader } from './interpreter/libraryModelValues';
import { Frame, type RValue } from './interpreter/frame';
import { type ClassInfo, forwardMethod, Interpreter, type InterpreterLimit, MAX_CALL_DEPTH, MAX_FILE_STEPS, MAX_NESTING, MAX_STEPS } from './interpreter/interpreter';
import { classRecord, type ModuleValue } from './interpreter/modules';
import { pythonDropoutFixes } from './fixes/fixBuilder';
import { bodyOf, definitionOf, moduleStatements, type Node, spanOf, SyntaxTree } from './syntax/syntax';
import { tensorsOf } from './interpreter/tensorOps';
import { Trace } from './interpreter/trace';
import { bindAssignments, bindParameters, Scope } from './interpreter/values';
import { moduleContext, readClasses } from './interpreter/moduleContext';
import { allModules } from './interpreter/modules';
import type { PythonWorkspace } from './workspace/input';
import { ModuleLoader } from './workspace/loader';
import type { ModuleRead, ModulesRead, ReachedBy } from '../types';
import type { Span } from '../../text';
import { appendAll } from '../../util/arrays';
import { parserText } from './syntax/parserText';
import { NameMentions } from './syntax/nameMentions';
import { runToEnd, type Steps } from '../../steps';
import type { TreeReaderFactory } from './syntax/nodeStore';
import { lineEndingOf } from '../../lineEnding';

/** The frontend's memory of one document (core/memory.ts keeps one): code outside python/ imports only this file. */
export { PythonMemory } from './units/memory';
/** The workspace layer the hosts hand in (workspace/): parsed modules kept between analyses, and the offsets of imported modules. */
export { ModuleCache, MODULE_OFFSET_BASE } from './workspace/moduleCache';
export type { PythonWorkspace } from './workspace/input';
export { ImportGraph } from './workspace/importGraph';
export type { ModuleSourceFile, ModuleSourceProvider } from './workspace/source';

/** Statements whose blocks a script's own statements sit in (the bodies are their named children). */
const NESTING_BLOCKS: ReadonlySet<string> = new Set(['if_statement', 'block', 'else_clause', 'elif_clause', 'with_statement', 'try_statement', 'except_clause', 'finally_clause']);

/**
 * A module class with no forward pass (`forward`, `call`, `__call__`) has no data flow to
 * trace — CleanRL's agents call their parts from `get_value`/`get_action_and_value`. Its
 * `nn.Sequential` parts do: each is a network of its own (`Agent.network`).
 */
function withoutForward(interp: Interpreter, candidate: Candidate): Candidate[] {
  const module = candidate.module;
  if (module.kind !== 'instance') return [candidate];
  const cls = interp.classOf(module);
  if (!cls || forwardMethod(cls) !== undefined) return [candidate];
  const parts: Candidate[] = [];
  for (const [attribute, part] of module.attributes) {
    if (part.kind === 'sequence' && !part.fused) parts.push({ ...candidate, name: `${candidate.name}.${attribute}`, module: part });
  }
  return parts;
}

/** Single layers: a builder function returning one builds no model. */
const LAYER_KINDS: ReadonlySet<ModuleValue['kind']> = new Set(['weight', 'activation', 'norm', 'dropout', 'flatten', 'pass']);

/** Files longer than this are not analysed (tree-sitter itself is fine; the interpreter's budget is per file). */
const MAX_SOURCE_LENGTH = 5_000_000;

export function parsePython(
  text: string, parser: PythonParser, memory?: PythonMemory, newEdit?: PythonSupport['newEdit'], withoutPrePass = false, workspace?: PythonWorkspace, readers?: TreeReaderFactory,
): FrontendResult {
  return runToEnd(parsePythonSteps(text, parser, memory, newEdit, withoutPrePass, workspace, undefined, readers));
}

/**
 * parsePython in steps (core/steps.ts): a yield after each unit (the module script, a
 * builder function, a root class). A host that stops between steps (the generator's
 * `return()`) leaves the memory as consistent as a finished run: the tree it parsed is kept
 * for the next incremental parse, the units' memory is only replaced by a run that ends,
 * and the workspace's parsed modules stay alive until every paused run has ended.
 */
export function* parsePythonSteps(
  text: string, parser: PythonParser, memory?: PythonMemory, newEdit?: PythonSupport['newEdit'], withoutPrePass = false, workspace?: PythonWorkspace,
  /** Settings.kerasVersion: decides Keras MultiHeadAttention's kernel fans (frameworks/kerasVersion.ts). */
  kerasVersion?: string,
  readers?: TreeReaderFactory,
): Steps<FrontendResult> {
  const dropoutFixes = pythonDropoutFixes(text);
  if (text.length > MAX_SOURCE_LENGTH) {
    memory?.dispose();
    const message = `Too large to analyse: this file has ${text.length.toLocaleString('en-US')} characters, and InitWise reads Python files of up to ${MAX_SOURCE_LENGTH.toLocaleString('en-US')}.`;
    return { networks: [], findings: [limitAt(firstLine({ start: 0, end: text.length }, text), message)], dropoutFixes };
  }
  const parsed = parserText(text);
  const shared = !memory?.tree && workspace ? workspace.modules.treeFor(workspace.documentPath, text) : undefined;
  const tree = shared ?? parseIncrementally(parsed, parser, memory, newEdit);
  if (!tree) return { networks: [], findings: [], dropoutFixes };
  // A document other files import: its parse serves them too (the CLI checks both).
  if (workspace && !shared) {
    const file = workspace.sources.read(workspace.documentPath);
    if (file?.text === text) workspace.modules.adopt(workspace.documentPath, file, tree, readers);
  }
  // Modules this run reads must outlive it, even when another document's run replaces them meanwhile.
  const release = workspace?.modules.hold();
  try {
    // Nodes read the text tree-sitter parsed; everything else (fixes, quotes, line endings)
    // reads the user's text. Both have the same length and the same code at every offset.
    const root = new SyntaxTree(tree, parsed, 0, readers).root;
    const loader = workspace ? new ModuleLoader(workspace, parser, readers) : undefined;
    const reading = yield* readNetworks(root, text, memory, withoutPrePass, loader, kerasVersion);
    const findings = reading.findings;
    if (reading.networks.length === 0 && root.hasError && frameworkImported(root)) findings.push(unreadable(root, text));
    return {
      networks: reading.networks, findings, dropoutFixes, ...(reading.backend ? { backend: reading.backend } : {}),
      ...(loader && workspace ? { modules: modulesRead(loader, workspace, reading.reached) } : {}),
    };
  } finally {
    // A document's memory keeps the tree for the next edit's incremental parse.
    if (memory) memory.keepTree(tree, parsed);
    else tree.delete();
    release?.();
  }
}


/** tree-sitter's incremental re-parse from the remembered tree when there is one, else a fresh parse. */
function parseIncrementally(text: string, parser: PythonParser, memory: PythonMemory | undefined, newEdit: PythonSupport['newEdit'] | undefined): ParsedTree | null {
  const old = memory?.tree;
  if (!memory || !old || memory.text === undefined || !newEdit) return parser.parse(text);
  if (memory.text === text) return old;
  old.edit(newEdit(diffEdit(memory.text, text)));
  const tree = parser.parse(text, old);
  // The old tree was edited: it is only good for this re-parse.
  memory.tree = undefined;
  old.delete();
  return tree;
}

function frameworkImported(root: Node): boolean {
  return new Imports(moduleStatements(root)).frameworks.size > 0;
}

/** IW001 at the first syntax error, when it leaves no model readable. */
function unreadable(root: Node, text: string): Finding {
  const error = firstError(root) ?? root;
  let end = error.endIndex;
  const lineEnd = text.indexOf('\n', error.startIndex);
  if (lineEnd >= 0 && end > lineEnd) end = lineEnd;
  if (end <= error.startIndex) end = Math.min(text.length, error.startIndex + 1);
  const span: Span = { start: error.startIndex, end };
  return {
    code: 'IW001', severity: 'error', span,
    message: 'Python syntax error here: InitWise cannot read the model code in this file until it parses.',
    fixes: [], related: [],
  };
}

function firstError(node: Node): Node | undefined {
  if (node.isError || node.isMissing) return node;
  for (const child of node.children) {
    if (!child.hasError && !child.isMissing) continue;
    const found = firstError(child);
    if (found) return found;
  }
  return undefined;
}

/**
 * What the analysis read besides its document: every file, and the modules whose nodes its
 * results may hold (read now, or by a reused unit: their offsets are their parse's, kept
 * by the module cache), with their text, to place findings.
 */
function modulesRead(loader: ModuleLoader, workspace: PythonWorkspace, reached: ReadonlyMap<string, readonly ReachedBy[]>): ModulesRead {
  const dependencies = loader.resolver.dependencies;
  const modules: ModuleRead[] = [];
  for (const { path, version } of dependencies) {
    const base = version === undefined ? undefined : workspace.modules.baseOf(path);
    const file = base === undefined ? undefined : loader.resolver.read(path);
    if (base !== undefined && file) modules.push({ path, version, base, text: file.text, reachedBy: reached.get(path) ?? [] });
  }
  return { dependencies, modules };
}

interface Candidate {
  readonly name: string;
  readonly span: Span;
  readonly nameSpan: Span;
  readonly module: ModuleValue;
  /** Where a script built it, when the network is anchored at its class or builder (Network.instantiation). */
  readonly instantiation?: Network['instantiation'];
}

/**
 * A model a script builds (`mlp = TabularMLP()`, `model = build_model()`) belongs to the
 * class or builder function of the file that defines it (issue 13, item 7): its network
 * findings and code lens go there, named after it, with the instantiation as related
 * information. A class or builder the script uses for two models keeps the variables'
 * names and places, so each model keeps its own findings.
 */
function anchoredAtDefinitions(interp: Interpreter, statements: readonly Node[], candidates: readonly Candidate[]): Candidate[] {
  const definitionOfCandidate = (c: Candidate): Node | undefined => {
    if (c.module.kind === 'instance' && interp.classes.get(c.module.className)?.definition === c.module.definition) return c.module.definition;
    const builder = interp.builtBy.get(c.module);
    if (builder === undefined) return undefined;
    const def = statements.map(definitionOf).find((d) => d.type === 'function_definition' && d.childForFieldName('name')?.text === builder);
    return def;
  };
  const definitions = candidates.map(definitionOfCandidate);
  const uses = new Map<Node, number>();
  for (const d of definitions) if (d) uses.set(d, (uses.get(d) ?? 0) + 1);
  return candidates.map((candidate, i) => {
    const definition = definitions[i];
    const nameNode = definition?.childForFieldName('name');
    if (!definition || !nameNode || uses.get(definition) !== 1 || candidate.span.start === definition.startIndex) return candidate;
    return {
      ...candidate,
      name: nameNode.text,
      span: { start: definition.startIndex, end: nameNode.endIndex },
      nameSpan: spanOf(nameNode),
      instantiation: { span: candidate.nameSpan, name: candidate.name },
    };
  });
}

/** What readNetworks gives parsePython: networks, IW002 findings, and the rules' memo for reused networks. */
interface NetworkReading {
  readonly networks: Network[];
  readonly findings: Finding[];
  readonly backend?: BackendMemo;
  /** Per imported module (by path): the document's calls of its classes and functions (hover, messages). */
  readonly reached: ReadonlyMap<string, readonly ReachedBy[]>;
}

function* readNetworks(
  root: Node, text: string, memory: PythonMemory | undefined, withoutPrePass: boolean, loader: ModuleLoader | undefined, kerasVersion: string | undefined,
): Steps<NetworkReading> {
  const statements = moduleStatements(root);
  const main = moduleContext(undefined, 0, text, statements);
  if (loader) loader.bindDocument(main);
  else readClasses(main);
  const imports = main.imports;
  const moduleScope = main.moduleScope;
  moduleScope.registerLibraryModels(libraryModelReader(imports, moduleScope));
  const interp = new Interpreter(main, loader?.contexts, loader?.resolver, kerasVersion);
  const importsWorkspace = main.resolveImport !== undefined;
  if (interp.classes.size === 0 && imports.frameworks.size === 0 && !importsWorkspace) return { networks: [], findings: [], reached: new Map() };
  // File-wide style every unit's fixes follow: quotes, Keras initializer objects, line endings; and an init
  // function another file applies (it makes every unit's PyTorch defaults unknown).
  const eol = lineEndingOf(text);
  // The Keras version setting decides MultiHeadAttention's fans: a unit read under another is not reused.
  const style = `${main.quote}${String(interp.kerasObjectStyle)}${String(interp.kerasFunctionStyle)}${eol}${interp.initHookElsewhere ?? ''}\u0000${kerasVersion ?? ''}`;
  const plan = new UnitPlan(statements, root, style, memory);
  // What a remembered unit read from the workspace must be unchanged for it to be reused;
  // then it counts as read by this analysis, as it would be if the unit ran.
  const unchanged = (entry: UnitEntry) => {
    const ok = entry.outcome.reads.every((d) => (loader ? loader.resolver.peek(d.path)?.version : undefined) === d.version);
    if (ok) loader?.resolver.note(entry.outcome.reads);
    return ok;
  };
  const units: UnitRun[] = [];
  /** Functions and classes not run because the file's budget was spent (reported once, IW003). */
  const skipped: Node[] = [];

  // The module body, then each top-level function (builders like `def build_model(): ...`).
  const runScript = (body: readonly Node[], scope: Scope, owner: Node | undefined): Candidate[] => {
    const candidates: Candidate[] = [];
    const frame = new Frame(scope, undefined, new Trace(), false, 0);
    frame.scriptOrder = new Set();
    const returned: RValue[] = [];
    const tf1Before = interp.tf1Layers;
    interp.tf1Models.length = 0;
    interp.run(body, frame, [], returned);
    collect(frame, body, candidates);
    // TF 1 builders the script called on its placeholders (interpreter.ts tf1Models): anchored at the builder below.
    if (owner === undefined) for (const { model, call } of interp.tf1Models) candidates.push({ name: interp.builtBy.get(model)!, span: spanOf(call), nameSpan: spanOf(call), module: model });
    interp.tf1Models.length = 0;
    // A builder of TF 1 functional layers returning their output (`def conv_net(x): ...; return out`) builds a model.
    const name0 = owner?.childForFieldName('name');
    if (name0 && interp.tf1Layers > tf1Before && frame.trace) {
      for (const value of returned) {
        const outputs = tensorsOf(value);
        if (outputs.length === 0) continue;
        const model: ModuleValue = { kind: 'opaque', className: 'keras.Model', record: classRecord('keras.Model') };
        interp.functional.set(model, { trace: frame.trace, outputs });
        candidates.push({ name: name0.text, span: { start: owner!.startIndex, end: name0.endIndex }, nameSpan: spanOf(name0), module: model });
        break;
      }
    }
    // A builder's returned model (`return keras.Model(inputs, outputs)`) is named after the
    // builder; a helper returning one layer (torchvision's `conv3x3`) builds no model.
    const name = owner?.childForFieldName('name');
    for (const value of returned) {
      if (value?.t !== 'module' || !name || LAYER_KINDS.has(value.module.kind) || candidates.some((c) => c.module === value.module)) continue;
      candidates.push({ name: name.text, span: { start: owner!.startIndex, end: name.endIndex }, nameSpan: spanOf(name), module: value.module });
    }
    // Models the module script keeps in variables belong to their class or builder.
    return owner === undefined ? anchoredAtDefinitions(interp, statements, candidates) : candidates;
  };
  units.push(reuseOrRun(interp, plan, plan.moduleKey(statements), () => runScript(statements, moduleScope, undefined), unchanged, true)!);
  yield;
  // `d_model = get_discriminator()`: that model is reported as `d_model`, with the script's arguments.
  const builtByScript = new Set(units[0]!.outcome.builders);
  // A function that names no framework, no model class of the file and no function that
  // does builds no model (training loops, data loading, plotting): skipping it saves
  // reading its syntax tree.
  const relevantFunctions = withoutPrePass ? undefined : modelFunctions(statements, [...imports.frameworkNames(), ...interp.classes.keys(), ...main.importedNames]);
  for (const statement of statements) {
    const def = definitionOf(statement);
    if (def.type !== 'function_definition' || (relevantFunctions && !relevantFunctions.has(def))) continue;
    if (builtByScript.has(def.childForFieldName('name')?.text ?? '')) continue;
    const run = () => {
      const scope = new Scope(moduleScope);
      bindParameters(def, scope, moduleScope);
      bindAssignments(bodyOf(def), scope);
      return runScript(bodyOf(def), scope, def);
    };
    const unit = reuseOrRun(interp, plan, plan.keyOf('function', statement, shapesSeen(interp)), run, unchanged);
    if (unit) units.push(unit);
    else skipped.push(def);
    yield;
  }

  // Root classes nobody instantiated: analysed with their default arguments. They run users
  // first (a class another class builds is nested, not a root; one another class or call
  // names is a part: components.ts) and are reported in file order.
  const instantiated = new Set(units.flatMap((u) => u.outcome.instantiated));
  const classes = [...interp.classes.values()];
  const statementOf = new Map<ClassInfo, Node>();
  for (const statement of statements) {
    const cls = interp.classes.get(definitionOf(statement).childForFieldName('name')?.text ?? '');
    if (cls?.definition === definitionOf(statement)) statementOf.set(cls, statement);
  }
  const classUnits = new Map<ClassInfo, UnitRun>();
  const unbuilt = classes.filter((c) => !instantiated.has(c.name) && !interp.nested.has(c.name)).map((c) => c.name);
  const parts = componentClasses(text, root, statements, unbuilt);
  for (const cls of plan.usersFirst(classes, (c) => statementOf.get(c))) {
    if (instantiated.has(cls.name) || interp.nested.has(cls.name) || parts.has(cls.name)) continue;
    const run = (): Candidate[] => {
      const nameNode = cls.definition.childForFieldName('name')!;
      const module = interp.instantiate(cls, undefined, undefined);
      return [{ name: cls.name, span: { start: cls.definition.startIndex, end: nameNode.endIndex }, nameSpan: spanOf(nameNode), module }];
    };
    const statement = statementOf.get(cls);
    const unit = reuseOrRun(interp, plan, statement ? plan.keyOf('class', statement, shapesSeen(interp)) : undefined, run, unchanged);
    if (unit) classUnits.set(cls, unit);
    else skipped.push(cls.definition);
    yield;
  }
  for (const cls of classes) {
    const unit = classUnits.get(cls);
    if (unit) units.push(unit);
  }

  // A reused unit's fixes counted its sites together with the units of its time: when the
  // file-wide counts differ now, it runs again (adding the same counts it had added).
  for (let i = 0; i < units.length; i++) {
    const unit = units[i]!;
    if (unit.reused && !sameSiteTotals(interp, unit)) {
      units[i] = rerun(interp, unit);
      yield;
    }
  }

  // Remembered in today's offsets (a reused unit's outcome was moved here), with today's counts.
  for (const unit of units) {
    if (!unit.key) continue;
    const siteTotals = unit.outcome.sites.map(([kind, start]) => interp.sites.get(kind, start));
    plan.remember(unit.key, { outcome: unit.outcome, anchors: unit.key.statements.map((s) => s.startIndex), siteTotals });
  }
  plan.commit();
  if (memory) {
    const reused = units.filter((u) => u.reused).length;
    memory.lastAnalysis = { unitsReused: reused, unitsRun: units.length - reused };
  }

  const networks: Network[] = [];
  const findings: Finding[] = [];
  const backend = new Map<Network, { unit: UnitRun; index: number }>();
  for (const unit of units) {
    appendAll(findings, unit.outcome.findings);
    unit.outcome.networks.forEach((network, index) => {
      const className = unit.outcome.networkClasses[index];
      if (className !== undefined && interp.nested.has(className)) return;
      networks.push(network);
      backend.set(network, { unit, index });
    });
  }
  if (skipped.length > 0) {
    const first = skipped.reduce((a, b) => (b.startIndex < a.startIndex ? b : a));
    const name = first.childForFieldName('name');
    const others = skipped.length - 1;
    findings.push(limitAt(name ? spanOf(name) : firstLine(spanOf(first), text),
      `Too large to analyse: the file's budget of ${MAX_FILE_STEPS.toLocaleString('en-US')} steps was spent before '${name?.text ?? 'this definition'}'` +
      `${others > 0 ? ` and ${others} more ${others === 1 ? 'definition' : 'definitions'}` : ''} could be read; the models they build are not checked.`));
  }
  const reached = new Map<string, ReachedBy[]>();
  for (const unit of units) for (const [path, by] of unit.outcome.reached) reached.set(path, [...(reached.get(path) ?? []), by]);
  return { networks: dedupe(networks), findings, backend: backendMemo(backend), reached };
}

/** The unit's calls of imported classes and functions (by module path), and the model of the unit each call's value is part of. */
function reachedBy(interp: Interpreter, networks: readonly Network[]): [string, ReachedBy][] {
  const out: [string, ReachedBy][] = [];
  for (const [call, { module, name, value }] of interp.importedCalls) {
    const layers = new Set(value ? allModules(value).flatMap((m) => (m.kind === 'weight' ? [m.call.startIndex] : [])) : []);
    const network = networks.find((n) => n.layers.some((l) => layers.has(l.span.start)));
    out.push([module.path!, { call: spanOf(call), className: name, network: network?.name }]);
  }
  interp.importedCalls.clear();
  return out;
}

/** The input shapes earlier units saw (`model.init(rng, jnp.ones(...))`), part of a later unit's key. */
function shapesSeen(interp: Interpreter): string {
  return JSON.stringify([...interp.classInputShapes].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

/** One unit as this analysis has it: run now, or reused (and moved) from the last analysis. */
interface UnitRun {
  readonly key: UnitKey | undefined;
  readonly outcome: UnitOutcome;
  readonly reused: boolean;
  /** The remembered entry (when reused), in the offsets of the text it ran on. */
  readonly entry?: UnitEntry;
  readonly run: () => Candidate[];
}

function runUnit(interp: Interpreter, run: () => Candidate[], key?: UnitKey): UnitRun {
  const text = interp.source;
  interp.beginUnit();
  const candidates = run();
  const networks: Network[] = [];
  const networkClasses: (string | undefined)[] = [];
  const seen = new Set<ModuleValue>();
  for (const candidate of candidates.flatMap((c) => withoutForward(interp, c))) {
    if (seen.has(candidate.module)) continue;
    seen.add(candidate.module);
    const network = trace(interp, candidate);
    if (!network || network.layers.length === 0) continue;
    networks.push(network);
    networkClasses.push(candidate.module.kind === 'instance' ? candidate.module.className : undefined);
  }
  const reached = reachedBy(interp, networks);
  const ended = interp.endUnit();
  const findings = ended.names.findings;
  if (ended.limit) {
    findings.push(limitFinding(ended.limit, text));
    // A run cut short by the budget left its models half-built: none is reported (a
    // nesting limit only made one expression unknown, which the reading already respects).
    if (ended.limit.kind === 'steps') {
      networks.length = 0;
      networkClasses.length = 0;
    }
  }
  const instantiated = candidates.flatMap((c) => (c.module.kind === 'instance' || interp.unreadConstructions.has(c.module) ? [c.module.className] : []));
  const builders = candidates.flatMap((c) => { const name = interp.builtBy.get(c.module); return name === undefined ? [] : [name]; });
  const outcome: UnitOutcome = {
    networks, networkClasses, findings, sites: ended.sites, nested: ended.nested, shapes: ended.shapes, instantiated, builders,
    backend: networks.map(() => undefined), reached, reads: ended.reads,
  };
  return { key, outcome, reused: false, run };
}

function reuseOrRun(
  interp: Interpreter, plan: UnitPlan, key: UnitKey | undefined, run: () => Candidate[], unchanged: (entry: UnitEntry) => boolean, always = false,
): UnitRun | undefined {
  const recalled = key ? plan.recall(key) : undefined;
  const entry = recalled && unchanged(recalled) ? recalled : undefined;
  if (key && entry) {
    const relocation = new Relocation(key.statements.map((s, i) => ({ from: entry.anchors[i]!, to: s.startIndex, length: s.endIndex - s.startIndex })));
    try {
      const outcome = relocate(entry.outcome, relocation);
      for (const [kind, start] of outcome.sites) interp.sites.add(kind, start);
      for (const name of outcome.nested) interp.nested.add(name);
      for (const [className, shape] of outcome.shapes) interp.classInputShape(className, shape);
      return { key, outcome, reused: true, entry, run };
    } catch (error) {
      if (!(error instanceof RelocationFailed)) throw error;
    }
  }
  if (interp.fileExhausted && !always) return undefined;
  return runUnit(interp, run, key);
}

/** The unit's outcome in today's offsets (its networks' rule results too). */
function relocate(outcome: UnitOutcome, relocation: Relocation): UnitOutcome {
  if (relocation.identity) return outcome;
  return {
    ...outcome,
    networks: outcome.networks.map((n) => relocation.network(n)),
    findings: outcome.findings.map((f) => relocation.finding(f)),
    sites: outcome.sites.map(([kind, start]) => [kind, relocation.offset(start)] as const),
    backend: outcome.backend.map((b) => b && { ...b, findings: b.findings.map((f) => relocation.finding(f)) }),
    reached: outcome.reached.map(([path, by]) => [path, { ...by, call: relocation.span(by.call) }] as const),
  };
}

function sameSiteTotals(interp: Interpreter, unit: UnitRun): boolean {
  const totals = unit.entry!.siteTotals;
  return unit.outcome.sites.every(([kind, start], i) => interp.sites.get(kind, start) === totals[i]);
}

/** IW003 where a unit stopped: its step budget ran out, code nested too deeply (issue 12), or calls did. */
function limitFinding(limit: InterpreterLimit, text: string): Finding {
  const message = limit.kind === 'steps'
    ? `Too large to analyse: InitWise stopped here after ${MAX_STEPS.toLocaleString('en-US')} steps (loops are unrolled), so the models this code builds are not checked.`
    : limit.kind === 'calls'
      ? `Calls nested too deeply to analyse (more than ${MAX_CALL_DEPTH} deep: recursion, or a long chain of super().__init__()): this call's value is unknown, and what depends on it is not checked.`
      : `Nested too deeply to analyse (more than ${MAX_NESTING} levels): this code's value is unknown, and what depends on it is not checked.`;
  return limitAt(firstLine(spanOf(limit.node), text), message);
}

function limitAt(span: Span, message: string): Finding {
  return { code: 'IW003', severity: 'warning', span, message, fixes: [], related: [] };
}

/** A span cut at the end of its first line (a finding on a 1,000-line loop marks its head). */
function firstLine(span: Span, text: string): Span {
  const newline = text.slice(span.start, Math.min(span.end, span.start + 10_000)).search(/[\r\n]/);
  return newline > 0 ? { start: span.start, end: span.start + newline } : span;
}

/** Runs a reused unit again: its counts come off first, running adds them back. */
function rerun(interp: Interpreter, unit: UnitRun): UnitRun {
  for (const [kind, start] of unit.outcome.sites) interp.sites.add(kind, start, -1);
  return runUnit(interp, unit.run, unit.key);
}

/** Rule results kept with the unit that produced the network (analyze.ts reads and fills them). */
function backendMemo(slots: ReadonlyMap<Network, { unit: UnitRun; index: number }>): BackendMemo {
  return {
    get: (network, settingsKey) => {
      const slot = slots.get(network);
      const result = slot?.unit.outcome.backend[slot.index];
      return result?.settingsKey === settingsKey ? result : undefined;
    },
    set: (network, result) => {
      const slot = slots.get(network);
      if (slot) slot.unit.outcome.backend[slot.index] = result;
    },
  };
}

/**
 * Top-level functions whose text names a framework, a model class or (transitively) another
 * such function. One scan for the known names per round (nameMentions.ts): warm, it is
 * 4–10× faster than reading each function's words into a set (measured on the bench file
 * and torchvision's models/, issue 16), since a test stops at the first mention. A function
 * still left after a round names none of the names known then, so the next round looks only
 * for the functions that round added.
 */
function modelFunctions(statements: readonly Node[], names: readonly string[]): Set<Node> {
  const functions = statements.map(definitionOf).filter((d) => d.type === 'function_definition');
  const relevant = new Set<Node>();
  for (let fresh = [...names]; fresh.length > 0;) {
    const mentions = new NameMentions(fresh);
    fresh = [];
    for (const def of functions) {
      if (relevant.has(def) || !mentions.inText(def.text)) continue;
      relevant.add(def);
      const name = def.childForFieldName('name')?.text;
      if (name) fresh.push(name);
    }
  }
  return relevant;
}

/** Models a script leaves in its variables: containers, instances of the file's classes, functional models. */
function collect(frame: Frame, statements: readonly Node[], out: Candidate[]): void {
  // Every binding of a name to a model, each at its own statement (issue 11 §5): a script that
  // rebinds `model = build_a(); ...; model = build_b()` builds two models. A module bound twice
  // (`model = model.to(device)`) is one candidate (runUnit keeps the first).
  for (const binding of frame.bindings) {
    if (!isModelValue(binding.module)) continue;
    const left = binding.statement.namedChild(0)?.childForFieldName('left');
    out.push({ name: binding.name, span: spanOf(binding.statement), nameSpan: left ? spanOf(left) : spanOf(binding.statement), module: binding.module });
  }
  const bound = new Set(frame.bindings.map((b) => b.module));
  // Names bound where no binding was recorded (a loop's pass, a tuple unpacking): the last
  // plain assignment to each name, read once (not once per variable), also inside the blocks
  // a script nests them in (`if __name__ == "__main__":`, `with`, `try`).
  const assignments = new Map<string, Node>();
  const visit = (block: readonly Node[], depth: number) => {
    for (const statement of block) {
      if (NESTING_BLOCKS.has(statement.type) && depth < 4) {
        visit(statement.namedChildren, depth + 1);
        continue;
      }
      const assignment = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
      const left = assignment?.type === 'assignment' ? assignment.childForFieldName('left') : null;
      if (left?.type === 'identifier') assignments.set(left.text, statement);
    }
  };
  visit(statements, 0);
  for (const [name, value] of frame.env) {
    if (value?.t !== 'module' || name.includes('.')) continue;
    const module = value.module;
    if (!isModelValue(module) || bound.has(module)) continue;
    const statement = assignments.get(name);
    const left = statement?.namedChild(0)?.childForFieldName('left');
    const span = statement ? spanOf(statement) : { start: 0, end: 0 };
    out.push({ name, span, nameSpan: left ? spanOf(left) : span, module });
  }
}

/** A value a script variable holds that is a model of its own: a Sequential, an instance, a Keras `Model`. */
function isModelValue(module: ModuleValue): boolean {
  return ((module.kind === 'sequence' && !module.fused) || module.kind === 'instance' || (module.kind === 'opaque' && module.className.endsWith('Model')));
}

function trace(interp: Interpreter, candidate: Candidate): Network | undefined {
  const module = candidate.module;
  const framework = frameworkOf(module);
  const meta = {
    name: candidate.name, span: candidate.span, nameSpan: candidate.nameSpan, framework,
    inputShape: undefined, pretrained: interp.isLoaded(module),
    ...(candidate.instantiation ? { instantiation: candidate.instantiation } : {}),
  };
  const functional = interp.functional.get(module);
  if (functional) return functional.trace.finish(functional.outputs, meta);
  const t = new Trace();
  const frame = new Frame(new Scope(interp.moduleScope), undefined, t, false, 0);
  // A Flax model's input shape is the data's: `model.init(rng, jnp.ones((1, 784)))` shows it.
  const inputShape = module.kind === 'sequence' ? module.inputShape ?? interp.inputShapes.get(module)
    : interp.inputShapes.get(module) ?? (module.kind === 'instance' ? interp.classInputShapes.get(module.className) ?? undefined : undefined);
  const input = t.input(inputShape);
  const out = interp.applyModule(module, { t: 'tensor', tensor: input }, frame, undefined);
  for (const { blocks, shared } of identicalBlocksIn(module)) t.copiedBlocks(blocks, shared);
  // A model that returns a tuple (`return logits, mean, logvar`) has several outputs.
  // The IR's input shape is channels first (ir.ts Network.inputShape); Keras and Flax write features last.
  const channelsFirst = inputShape && framework !== 'pytorch' && inputShape.length > 1
    ? [inputShape[inputShape.length - 1]!, ...inputShape.slice(0, -1)] : inputShape;
  return t.finish(tensorsOf(out), { ...meta, inputShape: channelsFirst });
}

function frameworkOf(module: ModuleValue): Network['framework'] {
  if (module.kind === 'instance') return module.framework;
  if (module.kind === 'weight') return module.framework;
  const name = module.className;
  if (name.startsWith('torch')) return 'pytorch';
  if (name.startsWith('flax')) return 'flax';
  return 'keras';
}

/** The same model reached twice under one name (a builder function also run at module level) is one network. */
function dedupe(networks: readonly Network[]): Network[] {
  const names = new Map<string, number>();
  for (const n of networks) names.set(n.name, (names.get(n.name) ?? 0) + 1);
  const seen = new Set<string>();
  return networks.filter((n) => {
    if (names.get(n.name) === 1) return true;
    const key = `${n.name}:${n.layers.map((l) => l.span.start).join(',')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
