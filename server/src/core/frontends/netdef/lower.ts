/**
 * Turns the syntax tree into the IR: networks of weight layers and ops, with shapes
 * flowing from `input` so every layer knows its fans, initializers resolved to their
 * framework semantics, and `repeat` expanded. Statements that cannot be read are
 * reported and lowered as far as they go, so one mistake never hides the rest.
 */
import type {
  ActivationOp, ActivationUse, DropoutOp, FlattenOp, Framework, InitUse, Network, NormOp, WeightLayerKind,
} from '../../ir';
import { FRAMEWORKS } from '../../ir';
import { frameworkDefaultInit } from '../../knowledge/defaults';
import { defaultNormEpsilon } from '../../knowledge/normEpsilon';
import type { LineIndex, Span } from '../../text';
import type { Block, Expr, FileAst, OptionAst, Statement } from './ast';
import { resolveConsumers, type Draft, finalizeOps, type MutableWeightLayer } from './consumers';
import type { Diagnostics } from './diagnostics';
import { lowerAttention } from './attention';
import { biasSecondMoment } from './bias';
import { NetdefFixBuilder } from './fixBuilder';
import { convGeometry, denseGeometry, embeddingGeometry, type GeometryContext } from './geometry';
import { readActivation } from './readActivation';
import { readInitializer } from './readInitializer';
import { lowerRecurrent } from './recurrent';
import { describeShape, product, sameShape, type Shape } from './shapes';
import { quoteSnippet } from './snippet';
import { STATEMENT_KEYWORDS, STATEMENTS, type Checked, type StatementSpec } from './statements';
import { countProblem, listChoices, misspelt, readChoice, readCount, readName, readNumber, type Reader } from './values';

/** At most this many weight layers per network may come from `repeat` expansion. */
export const MAX_WEIGHT_LAYERS = 10_000;
/**
 * At most this many statements are lowered per network, counting every expansion: a
 * `repeat` of activations or of unreadable lines adds no weight layers but still costs.
 */
export const MAX_EXPANDED_STATEMENTS = 100_000;
/** The largest input the language accepts: CxDxHxW. */
const MAX_INPUT_RANK = 4;

export function lowerFile(file: FileAst, source: string, lines: LineIndex, diags: Diagnostics): Network[] {
  const lowering = new FileLowering(source, lines, diags);
  return file.networks.map((statement) => lowering.lower(statement));
}

/** Lowers a file's networks one at a time, in source order (a network name may be used once). */
export class FileLowering {
  private readonly reader: Reader;
  private readonly firstLineOfName = new Map<string, number>();

  constructor(source: string, private readonly lines: LineIndex, private readonly diags: Diagnostics) {
    this.reader = { source, diags };
  }

  lower(statement: Statement): Network {
    const network = new NetworkLowering(statement, this.reader).lower();
    const key = network.name.toLowerCase();
    const firstLine = this.firstLineOfName.get(key);
    if (firstLine !== undefined && network.name !== '') {
      this.diags.syntax(network.nameSpan, `network ${quoteSnippet(network.name)} is already defined on line ${firstLine}; give each network its own name`);
    } else {
      this.firstLineOfName.set(key, this.lines.positionAt(network.nameSpan.start).line + 1);
    }
    return network;
  }
}

class NetworkLowering {
  private readonly diags: Diagnostics;
  private framework: Framework = 'keras';
  private name = '';
  private nameSpan: Span;
  /** The shape flowing into the next statement; undefined once it cannot be known. */
  private shape: Shape | undefined;
  private inputShape: Shape | undefined;
  private inputDeclared = false;
  private missingInputReported = false;
  /** A statement other than `input` has been lowered (input must come first). */
  private sawStatement = false;
  private readonly layers: MutableWeightLayer[] = [];
  private statementsLowered = 0;
  /** Tokens per sequence (`input 768 tokens=1024`), for attention. */
  private tokens: number | undefined;
  /** Features of the memory block's output (null: unknown), once the network has one. */
  private memoryWidth: number | null | undefined;

  constructor(private readonly header: Statement, private readonly reader: Reader) {
    this.diags = reader.diags;
    this.nameSpan = header.keyword?.span ?? header.span;
  }

  lower(): Network {
    this.readHeader();
    const drafts: Draft[] = [];
    const body = this.header.block;
    if (body) this.lowerBlock(body, 0, 0, drafts);
    if (!this.inputDeclared && this.layers.length === 0 && !this.missingInputReported && !this.header.syntaxError) {
      this.reportMissingInput();
    }
    resolveConsumers(drafts);
    return {
      name: this.name,
      span: this.header.span,
      nameSpan: this.nameSpan,
      framework: this.framework,
      inputShape: this.inputShape,
      ops: finalizeOps(drafts),
      layers: this.layers,
      pretrained: false,
      ...(this.tokens !== undefined ? { tokens: this.tokens } : {}),
    };
  }

  // ── header ───────────────────────────────────────────────────────────────

  private readHeader(): void {
    const spec = STATEMENTS.get('network')!;
    const { options } = this.check(this.header, spec);
    const first = this.header.positionals[0];
    if (first) {
      const name = readName(first, this.reader, "the network's name, as in 'network mlp {'");
      if (name) {
        this.name = name.text;
        this.nameSpan = name.span;
      }
    }
    const framework = options.get('framework');
    if (framework) this.framework = readChoice(framework.value, this.reader, 'framework', FRAMEWORKS) ?? 'keras';
  }

  // ── statements ───────────────────────────────────────────────────────────

  private lowerBlock(block: Block, depth: number, instance: number, out: Draft[]): void {
    for (const statement of block.statements) this.lowerStatement(statement, depth, instance, out);
  }

  private lowerStatement(statement: Statement, depth: number, instance: number, out: Draft[]): void {
    this.statementsLowered++;
    const keyword = statement.keyword;
    if (!keyword) {
      // The line did not start with a word (reported by the parser); its block may still hold good lines.
      out.push({ op: 'opaque' });
      if (statement.block) this.lowerNested(statement.block, depth, instance, out);
      return;
    }
    const spec = STATEMENTS.get(keyword.lower);
    if (!spec || spec.keyword === 'network') {
      this.diags.syntax(keyword.span, () => {
        const content = misspelt(keyword, `unknown statement ${quoteSnippet(keyword.text)}`, STATEMENT_KEYWORDS);
        return typeof content === 'string' ? `${content}; expected one of ${listChoices(STATEMENT_KEYWORDS.filter((k) => k !== 'network'))}` : content;
      });
      this.sawStatement = true;
      out.push({ op: 'opaque' });
      if (statement.block) this.lowerNested(statement.block, depth, instance, out);
      return;
    }
    const checked = this.check(statement, spec);
    if (spec.keyword !== 'input') this.sawStatement = true;
    switch (spec.keyword) {
      case 'input':
        this.lowerInput(statement, depth, checked);
        break;
      case 'dense':
      case 'conv1d':
      case 'conv2d':
      case 'conv3d':
      case 'embedding':
        this.lowerWeightLayer(statement, spec.keyword, checked, instance, out);
        break;
      case 'rnn':
      case 'lstm':
      case 'gru': {
        const context = { reader: this.reader, framework: this.framework, input: this.requireShape() };
        const lowered = lowerRecurrent(statement, spec.keyword, checked.options, context, this.layers.length, instance);
        this.shape = lowered.output;
        this.layers.push(lowered.layer);
        out.push({ op: 'layer', layer: lowered.layer, fixes: lowered.fixes, activationSpan: undefined });
        break;
      }
      case 'activation':
        this.lowerActivation(statement, out);
        break;
      case 'attention': {
        const op = lowerAttention(statement, checked, {
          reader: this.reader, framework: this.framework, input: this.requireShape(), layers: this.layers, instance,
          ...(this.memoryWidth !== undefined ? { memoryWidth: this.memoryWidth } : {}),
        });
        // Unreadable heads or widths: whatever feeds it has an unknown consumer, as for an unknown line.
        out.push(op ? { op: 'other', value: op } : { op: 'opaque' });
        break;
      }
      case 'batchnorm':
      case 'layernorm':
      case 'rmsnorm':
        // netdef.md has no ε for a norm: its framework's default (knowledge/normEpsilon.ts).
        out.push({ op: 'other', value: { op: 'norm', kind: spec.keyword, epsilon: defaultNormEpsilon(this.framework, spec.keyword), span: statement.span } satisfies NormOp });
        break;
      case 'dropout':
      case 'alphadropout':
        this.lowerDropout(statement, spec.keyword === 'alphadropout', out);
        break;
      case 'flatten':
        if (this.shape) this.shape = [product(this.shape)];
        out.push({ op: 'other', value: { op: 'flatten', span: statement.span } satisfies FlattenOp });
        break;
      case 'repeat':
        this.lowerRepeat(statement, depth, instance, out);
        break;
      case 'residual':
        this.lowerResidual(statement, checked, depth, instance, out);
        break;
      case 'memory':
        this.lowerMemory(statement, checked, depth, instance, out);
        break;
    }
    if (statement.block && !spec.block) {
      this.diags.syntax(statement.block.open, `'${keyword.text}' does not take a block: only network, repeat, residual and memory do`);
      this.lowerNested(statement.block, depth, instance, out);
    }
  }

  /** A block whose owner could not be read: its lines are still analysed, in place. */
  private lowerNested(block: Block, depth: number, instance: number, out: Draft[]): void {
    if (!block.tooDeep) this.lowerBlock(block, depth + 1, instance, out);
  }

  /** Reports positional and option mistakes (counts, unknown or repeated keys). */
  private check(statement: Statement, spec: StatementSpec): Checked {
    const keyword = statement.keyword!;
    const expected = spec.positionals.length;
    const extra = statement.positionals[expected];
    if (extra) {
      if (spec.keyword === 'input' && statement.positionals.length > 1) {
        const written = statement.positionals.map((p) => this.reader.source.slice(p.span.start, p.span.end)).join('');
        this.diags.syntax(extra.span, `write the input shape as one value without spaces, as in 'input ${written.replace(/[xX]+/g, 'x')}'`);
      } else {
        const takes = expected === 0 ? 'takes no values' : `takes ${expected} ${expected === 1 ? 'value' : 'values'} (${spec.positionals.join(' ')})`;
        this.diags.syntax(extra.span, `'${keyword.text}' ${takes}; options are written key=value, as in '${spec.example}'`);
      }
    } else if (statement.positionals.length < expected && !statement.syntaxError && !tokensOnlyInput(statement, spec)) {
      const missing = spec.positionals.slice(statement.positionals.length).join(' ');
      this.diags.syntax(keyword.span, `'${keyword.text}' needs ${missing}, as in '${spec.example}'`);
    }
    const options = new Map<string, OptionAst>();
    let unknownOption = false;
    for (const option of statement.options) {
      const key = option.key;
      if (!spec.options.includes(key.lower)) {
        unknownOption = true;
        const takes = spec.options.length === 0 ? 'it takes no options' : `it takes ${listChoices(spec.options)}`;
        this.diags.syntax(key.span, () => misspelt(key, `'${keyword.text}' has no option ${quoteSnippet(key.text)}; ${takes}`, spec.options.filter((o) => !options.has(o))));
      } else if (options.has(key.lower)) {
        this.diags.syntax(option.span, `option '${key.lower}' is given twice`);
      } else {
        options.set(key.lower, option);
      }
    }
    return { options, unknownOption };
  }

  private lowerInput(statement: Statement, depth: number, { options }: Checked): void {
    const keyword = statement.keyword!;
    if (this.inputDeclared) {
      this.diags.syntax(keyword.span, 'the input is already given: a network has one input statement');
      return;
    }
    if (depth > 0 || this.sawStatement) {
      this.diags.syntax(keyword.span, "'input' must be the first statement of the network");
    }
    this.inputDeclared = true;
    const tokens = options.get('tokens');
    if (tokens) this.tokens = readCount(tokens.value, this.reader, 'the number of tokens');
    const value = statement.positionals[0];
    if (!value) return;
    let shape: Shape | undefined;
    if (value.kind === 'dims') {
      if (value.values.length > MAX_INPUT_RANK) {
        this.diags.syntax(value.span, `the input has at most ${MAX_INPUT_RANK} sizes (CxDxHxW), got ${value.values.length}`);
      } else if (value.values.some((v) => countProblem(v, 1) !== undefined)) {
        const bad = value.values.find((v) => countProblem(v, 1) !== undefined)!;
        this.diags.syntax(value.span, `every size of the input ${countProblem(bad, 1)!}`);
      } else if (!Number.isSafeInteger(product(value.values))) {
        // Each size is fine but their product (the flattened width) cannot be counted exactly.
        this.diags.syntax(value.span, `the input is too large: ${value.values.join('×')} elements is more than ${Number.MAX_SAFE_INTEGER}`);
      } else {
        shape = value.values;
      }
    } else {
      const features = readCount(value, this.reader, 'the input size');
      if (features !== undefined) shape = [features];
    }
    this.shape = shape;
    this.inputShape = shape;
  }

  /** The shape entering a layer that needs it; reports once if the network never declared one. */
  private requireShape(): Shape | undefined {
    if (this.shape) return this.shape;
    if (!this.inputDeclared && !this.missingInputReported) this.reportMissingInput();
    return undefined;
  }

  private reportMissingInput(): void {
    this.missingInputReported = true;
    const name = this.name === '' ? 'this network' : `network ${quoteSnippet(this.name)}`;
    this.diags.syntax(
      this.nameSpan,
      `${name} has no 'input' statement, so no layer knows its fans: start the network with 'input N' (features) or 'input CxHxW' (channels first)`,
    );
  }

  // ── weight layers ────────────────────────────────────────────────────────

  private lowerWeightLayer(statement: Statement, kind: Exclude<WeightLayerKind, 'recurrent'>, checked: Checked, instance: number, out: Draft[]): void {
    const { options } = checked;
    // An embedding reads token ids: it needs no input width.
    const context: GeometryContext = {
      reader: this.reader, framework: this.framework, input: kind === 'embedding' ? undefined : this.requireShape(),
    };
    const geometry = kind === 'dense' ? denseGeometry(statement, context)
      : kind === 'embedding' ? embeddingGeometry(statement, context)
        : convGeometry(statement, kind, checked, context);
    this.shape = geometry.output;

    const activationOption = options.get('activation');
    const activationReading = activationOption ? readActivation(activationOption.value, this.reader) : undefined;
    const activation: ActivationUse | 'unknown' = activationReading?.use
      ?? (statement.syntaxError ? 'unknown' : { name: 'linear', explicit: false });

    const initOption = options.get('init');
    const initReading = initOption ? readInitializer(initOption.value, this.reader, this.framework, kind) : undefined;
    let init: InitUse;
    if (initReading && initOption) {
      init = {
        semantics: initReading.semantics, label: initReading.label, explicit: true,
        acceptedDefault: initReading.acceptedDefault, span: initOption.value.span,
      };
    } else if (statement.syntaxError) {
      // The init may be in the unreadable part of the line: do not assume the default.
      init = { semantics: undefined, label: 'unknown (the line has a syntax error)', explicit: false, acceptedDefault: false };
    } else {
      const fallback = frameworkDefaultInit(this.framework, kind);
      init = { semantics: fallback.semantics, label: fallback.label, explicit: false, acceptedDefault: false };
    }

    const fixes = new NetdefFixBuilder({
      source: this.reader.source, statement, kind,
      initExpr: initOption?.value, init: initReading, activationExpr: activationOption?.value,
    });
    const layer: MutableWeightLayer = {
      op: 'layer',
      kind,
      index: this.layers.length,
      span: statement.span,
      kindSpan: statement.keyword!.span,
      fans: geometry.fans?.fans,
      frameworkFans: geometry.fans?.frameworkFans,
      receptiveField: geometry.receptiveField,
      strideProduct: geometry.strideProduct,
      ...(geometry.conv ? { conv: geometry.conv } : {}),
      activation,
      consumer: activation,
      normalizedBeforeActivation: false,
      init,
      biasVariance: biasSecondMoment(kind, options, geometry, this.reader, this.framework),
      isLastInBranch: false,
      repeatInstance: instance,
      fixes,
    };
    this.layers.push(layer);
    out.push({ op: 'layer', layer, fixes, activationSpan: activationReading?.span });
  }

  // ── other statements ─────────────────────────────────────────────────────

  private lowerActivation(statement: Statement, out: Draft[]): void {
    const value = statement.positionals[0];
    const reading = value ? readActivation(value, this.reader) : undefined;
    if (!reading || reading.use === 'unknown') {
      // The layer before feeds something we cannot name: its consumer is unknown, not linear.
      out.push({ op: 'opaque' });
      return;
    }
    const op: ActivationOp = { op: 'activation', activation: reading.use, span: statement.span };
    out.push({ op: 'other', value: op, activationSpan: reading.span });
  }

  private lowerDropout(statement: Statement, alpha: boolean, out: Draft[]): void {
    const value = statement.positionals[0];
    const rate = value ? readNumber(value, this.reader, 'the dropout rate') : undefined;
    if (rate === undefined || !(rate >= 0 && rate < 1)) {
      if (rate !== undefined && value) this.diags.syntax(value.span, `the dropout rate is a probability from 0 up to (not including) 1, got ${rate}`);
      out.push({ op: 'opaque' });
      return;
    }
    const op: DropoutOp = { op: 'dropout', rate, alpha, span: statement.span, kindSpan: statement.keyword!.span };
    out.push({ op: 'other', value: op });
  }

  private lowerRepeat(statement: Statement, depth: number, instance: number, out: Draft[]): void {
    const block = statement.block;
    if (!block || block.tooDeep) return;
    const countExpr = statement.positionals[0];
    // An unreadable count is reported; the body is then analysed once.
    const count = (countExpr ? readCount(countExpr, this.reader, 'the repeat count') : undefined) ?? 1;
    const layersBefore = this.layers.length;
    const statementsBefore = this.statementsLowered;
    for (let i = 0; i < count; i++) {
      this.lowerBlock(block, depth + 1, instance * count + i, out);
      if (i === 0 && count > 1 && countExpr && this.exceedsLimits(countExpr, count, layersBefore, statementsBefore)) return;
    }
  }

  /** After the first expansion: would the rest exceed the per-network limits? Then report and stop at one. */
  private exceedsLimits(countExpr: Expr, count: number, layersBefore: number, statementsBefore: number): boolean {
    const perLayers = this.layers.length - layersBefore;
    const perStatements = this.statementsLowered - statementsBefore;
    const totalLayers = layersBefore + perLayers * count;
    if (totalLayers > MAX_WEIGHT_LAYERS) {
      const inNetwork = totalLayers === perLayers * count ? '' : ` (${totalLayers} in the network)`;
      this.diags.syntax(countExpr.span, `repeat ${count} would expand to ${perLayers * count} layers${inNetwork}; the limit is ${MAX_WEIGHT_LAYERS} per network, so the block is analysed once`);
      return true;
    }
    if (statementsBefore + perStatements * count > MAX_EXPANDED_STATEMENTS) {
      this.diags.syntax(countExpr.span, `repeat ${count} would expand to ${perStatements * count} statements; the limit is ${MAX_EXPANDED_STATEMENTS} per network, so the block is analysed once`);
      return true;
    }
    return false;
  }

  /**
   * `memory [tokens=S] { … }`: the encoder of an encoder–decoder, run over the network's second
   * input (the source tokens, as wide as the network's input; `memory tokens=S {}` when the memory
   * is itself an input). Its output is what `attention … cross=true` reads; the stream after the
   * block is the one before it. One per network, at its top level.
   */
  private lowerMemory(statement: Statement, checked: Checked, depth: number, instance: number, out: Draft[]): void {
    const keyword = statement.keyword!;
    const tokensOption = checked.options.get('tokens');
    const tokens = tokensOption ? readCount(tokensOption.value, this.reader, 'the number of memory tokens') : undefined;
    const block = statement.block;
    if (!block || block.tooDeep) return;
    if (depth > 0 || this.memoryWidth !== undefined) {
      this.diags.syntax(keyword.span, depth > 0 ? "'memory' goes at the network's top level, not inside a 'repeat' or 'residual' block" : "a network has one 'memory' block");
      this.lowerNested(block, depth, instance, out);
      return;
    }
    const stream = this.shape;
    this.shape = this.inputShape;
    const body: Draft[] = [];
    this.lowerBlock(block, depth + 1, instance, body);
    const memory = this.shape;
    this.memoryWidth = memory && memory.length === 1 ? memory[0]! : null;
    this.shape = stream;
    out.push({ op: 'memory', body, span: statement.span, ...(tokens !== undefined ? { tokens } : {}) });
  }

  private lowerResidual(statement: Statement, checked: Checked, depth: number, instance: number, out: Draft[]): void {
    const scaleOption = checked.options.get('scale');
    const scale = scaleOption ? readNumber(scaleOption.value, this.reader, 'the residual scale') : 1;
    const block = statement.block;
    if (!block || block.tooDeep) return;
    const before = this.shape;
    const body: Draft[] = [];
    this.lowerBlock(block, depth + 1, instance, body);
    const after = this.shape;
    if (before && after && !sameShape(before, after)) {
      this.diags.syntax(
        statement.keyword!.span,
        `the residual body changes the shape from ${describeShape(before)} to ${describeShape(after)}; y = x + scale·body(x) needs the body to keep it`,
      );
    }
    this.shape = before;
    // An unreadable scale is reported above; the branch then keeps the default weight 1.
    out.push({ op: 'residual', scale: scale ?? 1, body, span: statement.span });
  }
}

/** `input tokens=N` with no shape: the network starts with an embedding, which reads token ids. */
function tokensOnlyInput(statement: Statement, spec: StatementSpec): boolean {
  return spec.keyword === 'input' && statement.options.some((option) => option.key.lower === 'tokens');
}
