/**
 * The Python frontend's entry point: Keras (Sequential, functional, subclassed), PyTorch
 * (nn.Module, nn.Sequential) and Flax (linen, nnx) model code, read with tree-sitter and
 * run through a small abstract interpreter (interpreter.ts). Networks are the file's
 * root module classes (instantiated where the file instantiates them, else with their
 * default arguments), Sequential containers and functional models built at module level
 * or in builder functions. A file with syntax errors is analysed as far as it parses.
 */
import type { Parser } from 'web-tree-sitter';
import type { Finding } from '../../findings';
import type { Network } from '../../ir';
import type { FrontendResult } from '../types';
import { Imports } from './imports';
import { Frame, type RValue } from './frame';
import { Interpreter } from './interpreter';
import type { ModuleValue } from './modules';
import { pythonDropoutFixes } from './fixBuilder';
import { bodyOf, definitionOf, moduleStatements, type Node, spanOf, SyntaxTree } from './syntax';
import { Trace } from './trace';
import { bindAssignments, bindParameters, Scope } from './values';
import type { Span } from '../../text';

/** Files longer than this are not analysed (tree-sitter itself is fine; the interpreter's budget is per file). */
const MAX_SOURCE_LENGTH = 5_000_000;

export function parsePython(text: string, parser: Parser): FrontendResult {
  const dropoutFixes = pythonDropoutFixes(text);
  if (text.length > MAX_SOURCE_LENGTH) return { networks: [], findings: [], dropoutFixes };
  const tree = parser.parse(text);
  if (!tree) return { networks: [], findings: [], dropoutFixes };
  try {
    const root = new SyntaxTree(tree, text).root;
    const findings: Finding[] = [];
    const networks = readNetworks(root, text, findings);
    if (networks.length === 0 && root.hasError && frameworkImported(root)) findings.push(unreadable(root, text));
    return { networks, findings, dropoutFixes };
  } finally {
    tree.delete();
  }
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

/** The quote the file mostly uses in keyword arguments, for strings a fix writes. */
function preferredQuote(text: string): string {
  const single = text.match(/=\s*'/g)?.length ?? 0;
  const double = text.match(/=\s*"/g)?.length ?? 0;
  return single > double ? "'" : '"';
}

interface Candidate {
  readonly name: string;
  readonly span: Span;
  readonly nameSpan: Span;
  readonly module: ModuleValue;
}

function readNetworks(root: Node, text: string, findings: Finding[]): Network[] {
  const statements = moduleStatements(root);
  const imports = new Imports(statements);
  const moduleScope = new Scope(undefined);
  moduleScope.bindValue('__name__', '__main__');
  bindAssignments(statements, moduleScope);
  const interp = new Interpreter(text, imports, moduleScope, statements, preferredQuote(text));
  if (interp.classes.size === 0 && imports.frameworks.size === 0) return [];

  const candidates: Candidate[] = [];
  // The module body, then each top-level function (builders like `def build_model(): ...`).
  const runScript = (body: readonly Node[], scope: Scope, owner: Node | undefined) => {
    const frame = new Frame(scope, undefined, new Trace(), false, 0);
    const returned: RValue[] = [];
    interp.run(body, frame, [], returned);
    collect(frame, body, candidates);
    // A builder's returned model (`return keras.Model(inputs, outputs)`) is named after the builder.
    const name = owner?.childForFieldName('name');
    for (const value of returned) {
      if (value?.t !== 'module' || !name || candidates.some((c) => c.module === value.module)) continue;
      candidates.push({ name: name.text, span: { start: owner!.startIndex, end: name.endIndex }, nameSpan: spanOf(name), module: value.module });
    }
  };
  runScript(statements, moduleScope, undefined);
  // A function that names no framework, no model class of the file and no function that
  // does builds no model (training loops, data loading, plotting): skipping it saves
  // reading its syntax tree.
  const relevantFunctions = modelFunctions(statements, [...imports.frameworkNames(), ...interp.classes.keys()]);
  for (const statement of statements) {
    const def = definitionOf(statement);
    if (def.type !== 'function_definition' || !relevantFunctions.has(def)) continue;
    const scope = new Scope(moduleScope);
    bindParameters(def, scope, moduleScope);
    bindAssignments(bodyOf(def), scope);
    runScript(bodyOf(def), scope, def);
  }

  // Root classes nobody instantiated: analysed with their default arguments.
  const instantiated = new Set(candidates.map((c) => (c.module.kind === 'instance' ? c.module.className : '')));
  for (const cls of interp.classes.values()) {
    if (instantiated.has(cls.name) || interp.nested.has(cls.name)) continue;
    const nameNode = cls.definition.childForFieldName('name')!;
    const module = interp.instantiate(cls, undefined, undefined);
    candidates.push({ name: cls.name, span: { start: cls.definition.startIndex, end: nameNode.endIndex }, nameSpan: spanOf(nameNode), module });
  }

  const networks: Network[] = [];
  const seen = new Set<ModuleValue>();
  for (const candidate of candidates) {
    if (seen.has(candidate.module) || (candidate.module.kind === 'instance' && interp.nested.has(candidate.module.className))) continue;
    seen.add(candidate.module);
    const network = trace(interp, candidate);
    if (network && network.layers.length > 0) networks.push(network);
  }
  findings.push(...interp.names.findings);
  return dedupe(networks);
}

/** Top-level functions whose text names a framework, a model class or (transitively) another such function. */
function modelFunctions(statements: readonly Node[], names: readonly string[]): Set<Node> {
  const functions = statements.map(definitionOf).filter((d) => d.type === 'function_definition');
  const relevant = new Set<Node>();
  const known = [...names];
  for (let changed = true; changed && known.length > 0;) {
    changed = false;
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${known.map((n) => n.replace(/[^\p{L}\p{N}_]/gu, '')).join('|')})(?![\\p{L}\\p{N}_])`, 'u');
    for (const def of functions) {
      if (relevant.has(def) || !pattern.test(def.text)) continue;
      relevant.add(def);
      const name = def.childForFieldName('name')?.text;
      if (name) known.push(name);
      changed = true;
    }
  }
  return relevant;
}

/** Models a script leaves in its variables: containers, instances of the file's classes, functional models. */
function collect(frame: Frame, statements: readonly Node[], out: Candidate[]): void {
  // The last plain assignment to each name, read once (not once per variable).
  const assignments = new Map<string, Node>();
  for (const statement of statements) {
    const assignment = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
    const left = assignment?.type === 'assignment' ? assignment.childForFieldName('left') : null;
    if (left?.type === 'identifier') assignments.set(left.text, statement);
  }
  for (const [name, value] of frame.env) {
    if (value?.t !== 'module' || name.includes('.')) continue;
    const module = value.module;
    if (module.kind !== 'sequence' && module.kind !== 'instance' && !(module.kind === 'opaque' && module.className.endsWith('Model'))) continue;
    const statement = assignments.get(name);
    const left = statement?.namedChild(0)?.childForFieldName('left');
    const span = statement ? spanOf(statement) : { start: 0, end: 0 };
    out.push({ name, span, nameSpan: left ? spanOf(left) : span, module });
  }
}

function trace(interp: Interpreter, candidate: Candidate): Network | undefined {
  const module = candidate.module;
  const framework = frameworkOf(module);
  const meta = {
    name: candidate.name, span: candidate.span, nameSpan: candidate.nameSpan, framework,
    inputShape: undefined, pretrained: interp.isLoaded(module),
  };
  const functional = interp.functional.get(module);
  if (functional) return functional.trace.finish(functional.outputs, meta);
  const t = new Trace();
  const frame = new Frame(new Scope(interp.moduleScope), undefined, t, false, 0);
  const input = t.input(module.kind === 'sequence' ? module.inputShape : undefined);
  const out = interp.applyModule(module, { t: 'tensor', tensor: input }, frame, undefined);
  return t.finish(out?.t === 'tensor' ? [out.tensor] : [], { ...meta, inputShape: module.kind === 'sequence' ? module.inputShape : undefined });
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
  const seen = new Set<string>();
  return networks.filter((n) => {
    const key = `${n.name}:${n.layers.map((l) => l.span.start).join(',')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
