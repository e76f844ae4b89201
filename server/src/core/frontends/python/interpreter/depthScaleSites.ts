/**
 * What IW402's PyTorch fix needs, recorded while the interpreter runs (fixes/depthScaling.ts
 * builds the edits): the layer counts the code spells (`range(config.n_layer)`), re-read in the
 * scope where an edit would write them; each fixed-std init call's std argument; and, for an
 * init function run by `apply(fn)`, where nanoGPT's named_parameters loop would go and the
 * names it would see. Only the document's own code (offsets below the first imported module's)
 * is edited.
 */
import type { InitSemantics } from '../../../ir';
import { pyNumber } from '../fixes/fixBuilder';
import type { ApplySite, CountSpelling, DepthScaleSite, StdArgument } from '../fixes/depthScaling';
import type { Imports } from '../frameworks/imports';
import { callParts, dottedName, indentationAt, lineEndAt, type Node, spanOf } from '../syntax/syntax';
import { MODULE_OFFSET_BASE } from '../workspace/moduleCache';
import type { AppliedContext, Frame } from './frame';
import type { ModuleValue, WeightModule } from './modules';
import { namedWeights } from './namedParameters';
import { evaluate, type Scope } from './values';
import { lineEndingOf } from '../../../lineEnding';

/** The document the edits are written into. */
export interface DepthScaleEnvironment {
  readonly source: string;
  readonly quote: string;
  readonly imports: Imports;
  readonly statements: readonly Node[];
  partnerOf(module: WeightModule): WeightModule | undefined;
}

/** Distinct count expressions kept per unit (a model has a handful of loops over its depth). */
const MAX_COUNTS = 16;

/** Expressions that read as one operand of `/` (left-associative with `*`, `/`, `//`, `%`, below `**`). */
const TIGHT = new Set(['integer', 'float', 'identifier', 'attribute', 'call', 'subscript', 'parenthesized_expression']);

export class DepthScaleSites {
  private counts: Node[] = [];

  constructor(private readonly env: DepthScaleEnvironment) {}

  /** A unit's counts are its own (a unit's result may depend only on what it read: units.ts). */
  beginUnit(): void {
    this.counts = [];
  }

  /** `range(X)` with an integer X: X is a layer count as the code spells it. */
  recordCount(node: Node): void {
    if (node.startIndex >= MODULE_OFFSET_BASE || this.counts.length >= MAX_COUNTS || /[\r\n]/.test(node.text)) return;
    if (!this.counts.some((c) => c.text === node.text)) this.counts.push(node);
  }

  /** The recorded counts that mean a positive integer in `scope` (where an edit would write them). */
  spellings(scope: Scope): CountSpelling[] {
    const out: CountSpelling[] = [];
    for (const node of this.counts) {
      const value = evaluate(node, scope);
      if (typeof value === 'number' && Number.isInteger(value) && value > 0) {
        out.push({ text: node.text, value, atomic: node.type === 'identifier' || node.type === 'attribute' || node.type === 'integer' });
      }
    }
    return out;
  }

  /**
   * `receiver.apply(fn)` written as a statement of its own in the document: where nanoGPT's loop
   * would follow it, and the names `receiver.named_parameters()` gives the weights there.
   */
  applied(root: ModuleValue, call: Node, receiver: Node, frame: Frame): AppliedContext | undefined {
    const weights = namedWeights(root, (m) => this.env.partnerOf(m));
    if (!weights) return undefined;
    const names = new Map<WeightModule, string>();
    for (const weight of weights) for (const module of weight.modules) names.set(module, weight.name);
    return { site: this.applySite(call, receiver, weights.map((w) => w.name), frame), scope: frame.scope, names };
  }

  private applySite(call: Node, receiver: Node, names: readonly string[], frame: Frame): ApplySite | undefined {
    const { source } = this.env;
    if (call.endIndex >= MODULE_OFFSET_BASE || dottedName(receiver) === undefined) return undefined;
    const definition = this.enclosingDefinition(call.startIndex, frame);
    const statements = definition ? definition.descendantsOfType('expression_statement') : this.env.statements.filter((s) => s.type === 'expression_statement');
    // The call is a statement of its own, alone on its lines (not `x = m.apply(f)`, not after `;` or `if c:`).
    if (!statements.some((s) => s.startIndex === call.startIndex && s.endIndex === call.endIndex)) return undefined;
    const indent = indentationAt(source, call.startIndex);
    const lineStart = call.startIndex - indent.length;
    if (lineStart > 0 && source[lineStart - 1] !== '\n' && source[lineStart - 1] !== '\r') return undefined;
    const insertAt = lineEndAt(source, call.endIndex);
    if (!/^[ \t]*(#.*)?$/.test(source.slice(call.endIndex, insertAt))) return undefined;
    const unit = definition ? indentUnit(definition, source) : this.moduleIndentUnit();
    if (!unit) return undefined;
    const taken = new Set((definition ? [definition] : this.env.statements).flatMap((n) => n.descendantsOfType('identifier').map((id) => id.text)));
    const eol = lineEndingOf(source);
    return { insertAt, indent, unit, eol, quote: this.env.quote, receiver: receiver.text, names, counts: this.spellings(frame.scope), taken };
  }

  /**
   * The innermost function of the document around `offset` (a method of `frame.self`'s class, or a
   * module-level one): the last function definition on the way down to `offset` through the
   * children that hold it (only that path is read from the tree, not the whole class: issue 16).
   */
  private enclosingDefinition(offset: number, frame: Frame): Node | undefined {
    const roots = frame.self && frame.self.definition.startIndex < MODULE_OFFSET_BASE ? [frame.self.definition] : this.env.statements;
    const holds = (n: Node) => n.startIndex <= offset && offset < n.endIndex;
    let best: Node | undefined;
    for (const root of roots) {
      for (let node: Node | undefined = holds(root) ? root : undefined; node; node = node.children.find(holds)) {
        if (node.type === 'function_definition') best = node;
      }
    }
    return best;
  }

  /** At module level: the indentation of the first function body of the document. */
  private moduleIndentUnit(): string | undefined {
    for (const statement of this.env.statements) {
      const def = statement.type === 'function_definition' ? statement : statement.descendantsOfType('function_definition')[0];
      if (def) return indentUnit(def, this.env.source);
    }
    return undefined;
  }

  /**
   * The fix data of a fixed-std init call (`nn.init.normal_(w, std=0.02)`, `w.data.normal_(0, 0.02)`,
   * `trunc_normal_`) that set `module`: undefined for any other init or a call outside the document.
   */
  site(module: WeightModule, call: Node, target: Node, semantics: InitSemantics | undefined, frame: Frame, applications: () => number): DepthScaleSite | undefined {
    if (!semantics || (semantics.kind !== 'normal' && semantics.kind !== 'truncated_normal') || !(semantics.std > 0)) return undefined;
    if (call.type !== 'call' || call.endIndex >= MODULE_OFFSET_BASE || /[\r\n]/.test(call.text)) return undefined;
    const parts = callParts(call);
    if (!parts || parts.spread) return undefined;
    const callee = parts.callee;
    // A tensor method (`w.data.normal_(mean, std)`) has no tensor argument before its own.
    const method = callee.type === 'attribute' && callee.childForFieldName('object')?.text === target.text;
    const stdNode = parts.keywords.get('std')?.value ?? parts.positional[method ? 1 : 2];
    if (!stdNode || evaluate(stdNode, frame.scope) !== semantics.std) return undefined;
    const std: StdArgument = { span: spanOf(stdNode), text: stdNode.text, tight: tight(stdNode), value: semantics.std };
    const sqrt = this.env.imports.spellingOf('math.sqrt');
    const applied = frame.applied;
    const name = applied?.names.get(module);
    const site: DepthScaleSite = { call: spanOf(call), applications, std, sqrt, counts: this.spellings(frame.scope) };
    if (!applied?.site || name === undefined) return site;
    // The std as it reads after the apply statement: the written text where it means the same there, else its value.
    const there = evaluate(stdNode, applied.scope);
    const movedStd: StdArgument = there === semantics.std ? std : { ...std, text: pyNumber(semantics.std), tight: true };
    return { ...site, applied: { site: applied.site, name, template: this.template(call, target, stdNode, method), std: movedStd } };
  }

  /** The call's text around its weight and its std, to be written with the loop's parameter (undefined: names that may not reach there). */
  private template(call: Node, target: Node, stdNode: Node, method: boolean): readonly [string, string, string] | undefined {
    const weight = target.text.endsWith('.data') ? target.childForFieldName('object') : target;
    if (!weight || !/\.weight$/.test(weight.text)) return undefined;
    if (!method) {
      // The init function's name must be the module's import, not a local of the init function.
      const written = dottedName(callParts(call)!.callee);
      if (written === undefined || !this.env.imports.binds(written.split('.')[0]!)) return undefined;
    }
    const start = call.startIndex;
    const text = call.text;
    if (!(weight.startIndex >= start && weight.endIndex <= stdNode.startIndex && stdNode.endIndex <= call.endIndex)) return undefined;
    return [text.slice(0, weight.startIndex - start), text.slice(weight.endIndex - start, stdNode.startIndex - start), text.slice(stdNode.endIndex - start)];
  }
}

function tight(node: Node): boolean {
  if (TIGHT.has(node.type)) return true;
  if (node.type === 'unary_operator') return true;
  const op = node.type === 'binary_operator' ? node.childForFieldName('operator')?.text : undefined;
  return op === '*' || op === '/' || op === '//' || op === '%' || op === '**';
}

/** One indentation level of the file: a function body's indentation beyond its `def`'s. */
function indentUnit(definition: Node, source: string): string | undefined {
  const body = definition.childForFieldName('body');
  const first = body?.namedChildren.find((c) => c.type !== 'comment');
  // On the `def`'s own line (the syntax tree keeps offsets, not rows: a line break between them says it).
  if (!first || !/[\r\n]/.test(source.slice(definition.startIndex, first.startIndex))) return undefined;
  const outer = indentationAt(source, definition.startIndex);
  const inner = indentationAt(source, first.startIndex);
  return inner.startsWith(outer) && inner.length > outer.length ? inner.slice(outer.length) : undefined;
}
