/**
 * A small abstract interpreter for model code. It runs constructor bodies (`__init__`,
 * `setup`, module level, builder functions) to learn which layers exist and how they are
 * initialised, and forward methods (`forward`, `call`, `__call__`, the Keras functional
 * API) to learn what each layer's output flows into. It follows what is certain —
 * constant loops, known branches, the file's own module classes — and treats everything
 * else as unknown rather than guessing: values assigned under an unknown condition or
 * loop become opaque.
 */
import type { DropPathOp, InitUse, PositionTableOp } from '../../../ir';
import { type CatalogContext, defaultInit, frameworkModule, shapeValue, TIMM_DROP_PATH, TORCHVISION_STOCHASTIC_DEPTH } from '../frameworks/catalog';
import { frameworkDefaultBiasVariance } from '../../../knowledge/defaults';
import type { Imports } from '../frameworks/imports';
import { conditionValue } from './conditions';
import { InitCalls } from './initCalls';
import { recurrentSpecOf } from './recurrentState';
import { recurrentModule } from '../frameworks/recurrentLayers';
import { opaqued, UncertainCode } from './uncertainCode';
import { TiedWeights } from './tiedWeights';
import { namedWeights, parameterLoopFollowed } from './namedParameters';
import { centred, identityAffine, isEpsilonAttribute, normalised, powerOf, squareOf, withEpsilon, withoutStep } from './handNorm';
import { initTable, type ParameterTable, parameterTable, tableMethod, tokenRows, torchInitName, zeroMeanSecondMoment } from './parameterTables';
import { DepthScaleSites } from './depthScaleSites';
import { type AttentionFixEnvironment, logitScaleEdit } from './attentionFixes';
import {
  type AttentionContext, attentionFunction, attentionMatmul, attentionMethod, attentionScale, completeAttention, insideAttention, packedItem, softmaxModule, unread,
  isCausalMaskNode, sameAttention,
} from './attentionTrace';
import { attentionLayerModule, decoderStack, encoderStack, resetAttentionParameters } from '../frameworks/attentionLayers';
import { tensorFunction, tensorMethod, tensorsOf } from './tensorOps';
import { isTf1WeightLayer, tf1LayerCall, type Tf1LayerCall } from '../frameworks/tf1Layers';
import { type SiteKind, SiteCounts } from '../units/siteCounts';
import { UnknownNames } from '../frameworks/unknownNames';
import { initFollowingFan } from '../frameworks/fanScaledInits';
import { frameworkFanInIsTrue } from '../frameworks/widthFreeLayers';
import { unappliedInitHook } from './unappliedInitHooks';
import { readTensorMethod } from '../frameworks/initializers';
import { allModules, type AttentionModule, classRecord, type DecoderLayerModule, type EncoderLayerModule, type InstanceModule, type ModuleValue, type TransformerModule, type WeightModule } from './modules';
import type { Span } from '../../../text';
import { argumentValues, bindArgumentExpressions, parameterNames, spreadKeywords } from './arguments';
import { Frame, type RValue } from './frame';
import { carriedNames, constantItems, type Iteration, unpacked } from './loopItems';
import { argument, bodyOf, callParts, type CallParts, definitionOf, dottedName, indentationAt, lineEndAt, type Node, spanOf, stringValue, unparen } from '../syntax/syntax';
import { sinCos2dTable } from './sinCos2dTables';
import { sinusoidalBuffer } from './sinusoidalTables';
import { constantFactor } from './constantFactors';
import { formatNumber } from '../../../format/numbers';
import { positionRowsOf } from './positionRows';
import { isTorchModel, torchSampleShape } from './torchSample';
import { scopeAfter } from './scriptOrder';
import { assignedOnlyWhenNotNone, computeMaskReturnsMask, isTokenCount, KERAS_POSITION_RANGES, maskFunction, shiftedPositions, tokenComparison } from './kerasTokens';
import { breakSite, type LayerDraft, type PositionRows, type ProjectionPart, type Tensor, Trace } from './trace';
import { followedAttributes, mentionedNames, reassignedLocals } from './followedNames';
import { initFlagLeftUnknown } from './initUnderUnknownFlag';
import { bindAssignments, bindParameters, defaultConfig, evaluate, evaluateCount, instanceRecord, isNumber, type RecordValue, Scope, type Value } from './values';
import { orOperand } from './orOperand';
import { type BoundCall, mergePartial, PARTIAL, type PartialCall } from './partials';
import { factoryArgument, timmActivationClass, timmConv2d, timmFactory, type TimmFactory, timmNormClass } from '../frameworks/timmLayers';
import { readActivationClass } from '../frameworks/activations';
import { appendAll, minOf } from '../../../util/arrays';
import { ClassInfo, importedClass, importedFunction, type ModuleContext, namespaceOf } from './moduleContext';
import { fieldOrder, findMethod, InheritedScope, lookupOrder, mayHaveMethod } from './inheritance';
import { slotOf, MODULE_OFFSET_BASE } from '../workspace/moduleCache';
import type { ModuleDependency } from '../../types';
import type { ModuleResolver } from '../workspace/resolve';
import { decisionOfPinnedFiles, type KerasFanDecision, kerasFanDecision } from '../frameworks/kerasVersion';
import { kerasAttentionAdvice, kerasAttentionFans, kerasAttentionInit } from '../frameworks/kerasAttention';
import { lineEndingOf } from '../../../lineEnding';

export { ClassInfo } from './moduleContext';

/**
 * Budget of statements and expressions evaluated per unit of the file (the module script,
 * one builder function, one root class: units.ts), and for all units together: loops are
 * unrolled, so this bounds the work. A unit reused from an earlier analysis costs nothing.
 */
export const MAX_STEPS = 200_000;
export const MAX_FILE_STEPS = 2_000_000;
export const MAX_CALL_DEPTH = 12;
/**
 * How deeply statements and expressions may nest (calls included) before the rest is
 * unknown: CPython's own parser stops at 200 nested brackets. The interpreter recurses
 * along the syntax tree, so without this a 2,000-term `1+1+…+1` overflowed the stack
 * (issue 12); at 200 levels it uses well under 1 MB of stack.
 */
export const MAX_NESTING = 200;
const MAX_UNROLL = 1024;
/** A canonical name from one of the frameworks (a class or function the catalog may know). */
const FRAMEWORK_NAME = /^(torch|keras|flax|jax)\./;
/** Argument expressions that can evaluate to a module (a constant never does: it is not evaluated twice). */
const MAY_HOLD_MODULE: ReadonlySet<string> = new Set(['call', 'identifier', 'attribute', 'subscript', 'list', 'tuple', 'conditional_expression', 'parenthesized_expression']);

/** Why a unit's reading is incomplete: its step budget ran out, code nested past MAX_NESTING, or calls past MAX_CALL_DEPTH. */
export interface InterpreterLimit {
  readonly kind: 'steps' | 'nesting' | 'calls';
  /** The statement or expression where it happened. */
  readonly node: Node;
}

export class Interpreter {
  /** The analysed document's classes and functions (its units, parse.ts). */
  readonly classes: Map<string, ClassInfo>;
  readonly functions: Map<string, Node>;
  /** The module whose code runs now: the document's, or an imported module's (moduleContext.ts). */
  private ctx: ModuleContext;
  /** Every class of every module read, by its definition (an instance's class wherever it was built). */
  private readonly classByDefinition = new Map<Node, ClassInfo>();
  /** Modules whose weights are loaded from a checkpoint. */
  readonly loaded = new Set<ModuleValue>();
  /** `a.weight = b.weight`: one parameter in two layers (tiedWeights.ts). */
  private readonly tied = new TiedWeights();
  /** Keras token-id inputs of a stated length and the code stating it (`shape=(100,)`). */
  private readonly inputTokens = new WeakMap<Tensor, PositionRows>();
  /** Traces a Keras functional model was built on (keras.Model(inputs, outputs)). */
  private readonly modelTraces = new WeakSet<Trace>();
  /** Keras functional models: the trace they were built on and their outputs. */
  readonly functional = new Map<ModuleValue, { readonly trace: Trace; readonly outputs: readonly Tensor[] }>();
  /** Input shapes (batch axis dropped) `model.init(rng, x)` calls show, per module (Flax linen). */
  readonly inputShapes = new Map<ModuleValue, readonly number[]>();
  /** The same per class: null when calls disagree. */
  readonly classInputShapes = new Map<string, readonly number[] | null>();
  /** Classes instantiated inside other module classes (not roots). */
  readonly nested = new Set<string>();
  /** The function of the file that returned each model (`d_model = get_discriminator()`). */
  readonly builtBy = new Map<ModuleValue, string>();
  /**
   * The document's calls of imported classes and functions, with the module whose code they
   * ran and the model value they returned (hover: which model reached that module).
   */
  readonly importedCalls = new Map<Node, { readonly module: ModuleContext; readonly name: string; readonly value: ModuleValue | undefined }>();
  private steps = 0;
  private fileSteps = 0;
  /** Statements and expressions being evaluated, one inside the other (MAX_NESTING). */
  private nesting = 0;
  /** Where the running unit hit a limit: its step budget, or MAX_NESTING (reported as IW003). */
  private limit: InterpreterLimit | undefined;
  /** IW002 findings of the running unit: unknown activation, initializer and nonlinearity strings. */
  names = new UnknownNames();
  /** An init function this file defines and another file applies (unappliedInitHooks.ts): PyTorch defaults are then unknown. */
  readonly initHookElsewhere: string | undefined;
  /** Classes this unit instantiated inside other module classes. */
  private unitNested: string[] = [];
  /** Models a call built without reading them (initUnderUnknownFlag.ts): their class counts as instantiated, never a root run with its defaults. */
  readonly unreadConstructions = new WeakSet<ModuleValue>();
  /** Input shapes this unit showed for classes (replayed when the unit is reused). */
  private unitShapes: [string, readonly number[]][] = [];
  /** How many layers each constructor and init call site affects, over the whole file (imported modules' sites are at their own offsets). */
  readonly sites = new SiteCounts();
  /** nn.init calls, tensor init methods and apply(fn), in program order (initCalls.ts). */
  readonly inits = new InitCalls(this);
  /** What IW402's fix needs: layer counts as spelled, fixed-std init calls, apply(fn) sites (depthScaleSites.ts). */
  readonly depthSites: DepthScaleSites;
  /** Branches and loops the interpreter cannot decide (uncertainCode.ts). */
  private readonly uncertain = new UncertainCode(this);

  /** `main`: the document's context; `modules`: the workspace modules it imports, by offset base (workspace/loader.ts). */
  constructor(
    private readonly main: ModuleContext,
    private readonly modules: ReadonlyMap<number, ModuleContext> = new Map(),
    /** Records the workspace files each unit reads (workspace/resolve.ts). */
    private readonly reads?: ModuleResolver,
    /** Settings.kerasVersion (frameworks/kerasVersion.ts). */
    private readonly kerasVersion?: string,
  ) {
    this.ctx = main;
    this.depthSites = new DepthScaleSites({
      source: main.source, quote: main.quote, imports: main.imports, statements: main.statements, partnerOf: (m) => this.tied.partnerOf(m),
    });
    this.initHookElsewhere = unappliedInitHook(main.statements, main.imports);
    this.classes = main.classes;
    this.functions = main.functions;
    for (const context of [main, ...modules.values()]) for (const cls of context.classes.values()) this.classByDefinition.set(cls.definition, cls);
  }

  get source(): string {
    return this.ctx.source;
  }

  get imports(): Imports {
    return this.ctx.imports;
  }

  get moduleScope(): Scope {
    return this.ctx.moduleScope;
  }

  /** The file writes Keras initializers as objects (`HeNormal()`): fixes follow. */
  get kerasObjectStyle(): boolean {
    return this.main.kerasObjectStyle;
  }

  /** …with the snake-case functions (`initializers.he_normal()`): moduleContext.ts. */
  get kerasFunctionStyle(): boolean {
    return this.main.kerasFunctionStyle;
  }

  /** The module a node was written in. */
  contextOf(node: Pick<Node, 'startIndex'>): ModuleContext {
    const start = node.startIndex;
    if (start < MODULE_OFFSET_BASE) return this.main;
    return this.modules.get(slotOf(start) * MODULE_OFFSET_BASE) ?? this.main;
  }

  /** The text of a span as written, in its own module (an imported block's offsets start at its module's base). */
  private spanText(span: Span): string {
    const home = this.contextOf({ startIndex: span.start });
    return home.source.slice(span.start - home.base, span.end - home.base);
  }

  /** Runs `body` in the context of the module that wrote `node` (a no-op within one module). */
  private within<T>(node: Node, body: () => T): T {
    const context = this.contextOf(node);
    if (context === this.ctx) return body();
    const outer = this.ctx;
    this.ctx = context;
    try {
      return body();
    } finally {
      this.ctx = outer;
    }
  }

  /** A class the running module defines or imported from the workspace. */
  private classNamed(name: string, context: ModuleContext = this.ctx): ClassInfo | undefined {
    return context.classes.get(name) ?? (context.importedNames.size > 0 || context.resolveImport ? importedClass(context, name) : undefined);
  }

  /** A function the running module defines or imported from the workspace. */
  private functionNamed(name: string, context: ModuleContext = this.ctx): Node | undefined {
    return context.functions.get(name) ?? (context.resolveImport ? importedFunction(context, name) : undefined);
  }

  /** True when `name` means a class, function or import of the module (so a runtime value must hide it). */
  private namesDefinition(name: string, context: ModuleContext = this.ctx): boolean {
    return this.classNamed(name, context) !== undefined || this.functionNamed(name, context) !== undefined || context.imports.binds(name) || context.importedNames.has(name);
  }

  /** The class of an instance, wherever it was built. */
  classOf(instance: InstanceModule): ClassInfo | undefined {
    return this.classAt(instance.definition) ?? this.classes.get(instance.className);
  }

  /** The class defined at `definition`, in whichever module (modules are read lazily: looked up in its own). */
  private classAt(definition: Node): ClassInfo | undefined {
    const known = this.classByDefinition.get(definition);
    if (known) return known;
    const name = definition.childForFieldName('name')?.text;
    const cls = name === undefined ? undefined : this.contextOf(definition).classes.get(name);
    if (cls?.definition !== definition) return undefined;
    this.classByDefinition.set(definition, cls);
    return cls;
  }

  /** The value of a function of a module, in that module's scope. */
  private functionValue(definition: Node): RValue {
    return { t: 'function', definition, scope: this.contextOf(definition).moduleScope, self: undefined };
  }

  /** `R.ResNet`, `models.resnet.ResNet18`: a class or function reached through an imported module. */
  private memberOf(written: string): RValue {
    const parts = written.split('.');
    for (let i = parts.length - 1; i >= 1; i--) {
      let module = namespaceOf(this.ctx, parts.slice(0, i).join('.'));
      if (!module) continue;
      for (const part of parts.slice(i, -1)) {
        module = module.submodules.get(part) ?? namespaceOf(module, part);
        if (!module) return undefined;
      }
      const last = parts[parts.length - 1]!;
      const cls = this.classNamed(last, module);
      if (cls) return { t: 'class', definition: cls.definition, name: cls.name };
      const fn = this.functionNamed(last, module);
      return fn ? this.functionValue(fn) : undefined;
    }
    return undefined;
  }

  /** The frame's catalog context: one per frame (frames never outlive their unit, whose catalog it is). */
  private frameCatalog(frame: Frame): CatalogContext {
    if (frame.catalog?.scope !== frame.scope || frame.catalog.imports !== this.ctx.imports || frame.catalog.names !== this.names) frame.catalog = this.catalogFor(frame.scope);
    return frame.catalog;
  }

  /** The layer catalog's view of the running module (its source, imports and quote style) in `scope`. */
  private catalogFor(scope: Scope): CatalogContext {
    const c = this.ctx;
    return { source: c.source, imports: c.imports, scope, quote: c.quote, kerasObjectStyle: c.kerasObjectStyle, kerasFunctionStyle: c.kerasFunctionStyle, sites: this.sites, names: this.names };
  }

  get exhausted(): boolean {
    return this.steps > MAX_STEPS;
  }

  /** The file's budget is spent: further units are not run (their models are not reported). */
  get fileExhausted(): boolean {
    return this.fileSteps + this.steps > MAX_FILE_STEPS;
  }

  /**
   * Starts a unit of the file (units.ts): a fresh step budget, its own IW002 findings (a
   * unit reused later must carry every finding it made) and a log of the sites it counts.
   */
  beginUnit(): void {
    this.fileSteps += this.steps;
    this.steps = 0;
    this.limit = undefined;
    this.names = new UnknownNames();
    this.depthSites.beginUnit();
    this.sites.log = [];
    this.reads?.startUnit();
    this.unitNested = [];
    this.unitShapes = [];
  }

  /** Ends the running unit: what it reported and which site counts it added. */
  endUnit(): { names: UnknownNames; sites: readonly [SiteKind, number][]; nested: readonly string[]; shapes: readonly [string, readonly number[]][]; limit: InterpreterLimit | undefined; reads: ModuleDependency[] } {
    const sites = this.sites.log ?? [];
    this.sites.log = undefined;
    return { names: this.names, sites, nested: this.unitNested, shapes: this.unitShapes, limit: this.limit, reads: this.reads?.endUnit() ?? [] };
  }

  /**
   * A call one level deeper than MAX_CALL_DEPTH (recursion, or a chain of more than that many
   * `super().__init__()` calls) is not followed: its value is unknown, and the unit says where
   * (IW003) rather than dropping the models that depend on it without a word.
   */
  private tooDeep(depth: number, node: Node): boolean {
    if (depth < MAX_CALL_DEPTH) return false;
    this.limit ??= { kind: 'calls', node };
    return true;
  }

  /** Counts one step; false (and the place remembered) once the unit's budget is spent. */
  private step(node: Node): boolean {
    if (++this.steps <= MAX_STEPS) return true;
    this.limit ??= { kind: 'steps', node };
    return false;
  }

  // ── statements ─────────────────────────────────────────────────────────

  /** Runs statements; `returned` collects what `return` statements give back (a builder's model). */
  /**
   * Runs statements in order; true when one of them returned for certain (a `return`, or one in
   * a branch taken for certain: `if reverse: return …`), and the rest of the block is not run.
   */
  run(statements: readonly Node[], frame: Frame, outputs: Tensor[] | undefined, returned?: RValue[]): boolean {
    // Indexed: a check runs most of the interpreter in V8's baseline tiers, where for…of allocates per step (issue 16).
    for (let i = 0; i < statements.length; i++) {
      const statement = statements[i]!;
      if (!this.step(statement)) return false;
      if (this.nesting >= MAX_NESTING) {
        this.limit ??= { kind: 'nesting', node: statement };
        this.taint(statement, frame);
        continue;
      }
      this.nesting++;
      try {
        if (this.statement(statement, frame, outputs, returned)) return true;
      } finally {
        this.nesting--;
      }
      if (frame.scriptOrder) frame.scope = scopeAfter(statement, frame.scope, frame.scriptOrder, this.source);
    }
    return false;
  }

  /** True when the statement returned for certain. */
  private statement(node: Node, frame: Frame, outputs: Tensor[] | undefined, returned?: RValue[]): boolean {
    if (node.startIndex >= MODULE_OFFSET_BASE || this.ctx !== this.main) {
      if (this.contextOf(node) !== this.ctx) {
        return this.within(node, () => this.statement(node, frame, outputs, returned));
      }
    }
    switch (node.type) {
      case 'expression_statement': {
        const inner = node.namedChild(0);
        if (!inner) return false;
        if (inner.type === 'assignment') {
          this.assignment(inner, node, frame);
          this.recordAssignment(inner, frame);
        } else if (inner.type === 'augmented_assignment') {
          this.augmented(inner, frame);
          this.recordAugmented(inner, frame);
        }
        else this.expression(inner, frame);
        return false;
      }
      case 'return_statement': {
        const value = node.namedChild(0);
        if (!value) return true;
        const r = this.expression(value, frame);
        for (const t of tensorsOf(r)) outputs?.push(t);
        returned?.push(r);
        return true;
      }
      case 'for_statement': {
        this.forLoop(node, frame, outputs);
        // After the loop a followed loop variable holds the last item, which is not followed: unknown.
        const left = node.childForFieldName('left');
        for (const target of left && (left.type === 'pattern_list' || left.type === 'tuple_pattern') ? left.namedChildren : left ? [left] : []) {
          const name = dottedName(target);
          if (name !== undefined) frame.scope.assignFollowed(name, undefined, frame.scope);
        }
        return false;
      }
      case 'if_statement':
        return this.ifStatement(node, frame, outputs, returned);
      case 'with_statement': {
        const body = node.childForFieldName('body');
        return body ? this.run(body.namedChildren, frame, outputs, returned) : false;
      }
      case 'try_statement': {
        // An exception may leave the body anywhere: a return in it does not end the block for certain.
        const body = node.childForFieldName('body');
        if (body) this.run(body.namedChildren, frame, outputs);
        return false;
      }
      case 'while_statement':
        this.taint(node, frame);
        return false;
      default:
        return false;
    }
  }

  private assignment(node: Node, statement: Node, frame: Frame): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (!left || !right) return;
    // `residual = x = inputs` (Chollet's Keras decoders): the value evaluated once, then bound to each target, rightmost first.
    if (right.type === 'assignment' && left.type === 'identifier') {
      const targets = [left];
      let value = right;
      while (value.type === 'assignment' && value.childForFieldName('right')) {
        const target = value.childForFieldName('left');
        if (target?.type !== 'identifier') return;
        targets.push(target);
        value = value.childForFieldName('right')!;
      }
      const r = this.expression(value, frame);
      for (const target of targets.reverse()) this.store(target, r, statement, frame);
      return;
    }
    if (left.type === 'pattern_list' || left.type === 'tuple_pattern') {
      const r = this.expression(right, frame);
      const targets = left.namedChildren;
      const items = r?.t === 'list' && r.items.length === targets.length ? r.items : undefined;
      targets.forEach((target, i) => this.store(target, items?.[i] ?? opaqued(undefined, frame), statement, frame));
      return;
    }
    // `self.lm_head.weight = self.transformer.wte.weight`: tied weights.
    if (left.type === 'attribute' && right.type === 'attribute' && left.childForFieldName('attribute')?.text === 'weight' && right.childForFieldName('attribute')?.text === 'weight') {
      const a = this.expression(left.childForFieldName('object')!, frame);
      const b = this.expression(right.childForFieldName('object')!, frame);
      if (a?.t === 'module' && b?.t === 'module' && a.module.kind === 'weight' && b.module.kind === 'weight') {
        this.tied.tie(a.module, b.module);
        return;
      }
    }
    const value = this.expression(right, frame);
    // `norm = nn.BatchNorm2d`: a class, not a runtime value. The name is then read through its
    // binding (frameworkAlias), as a parameter bound to a class is; a name assigned twice has none.
    if (value === undefined && left.type === 'identifier' && (right.type === 'identifier' || right.type === 'attribute')) {
      const written = dottedName(right);
      // Also through a binding: torchvision's `norm_layer = self._norm_layer` names the class `self._norm_layer` holds.
      if (written !== undefined && (FRAMEWORK_NAME.test(this.imports.canonical(written)) || this.frameworkAlias(written, frame) !== undefined)) {
        frame.env.delete(left.text);
        return;
      }
    }
    // `norm_layer = norm_layer or nn.BatchNorm2d`: the class `or` gives, read as the name's binding too (orOperand).
    if (value === undefined && left.type === 'identifier' && right.type === 'boolean_operator' && this.aliasOf({ node: right, scope: frame.scope }, 0) !== undefined) {
      frame.env.delete(left.text);
      return;
    }
    // `norm_layer = partial(nn.LayerNorm, eps=1e-6)`, `act = get_act_layer('gelu')`: a layer factory, read through the binding (callableOf).
    if (value === undefined && left.type === 'identifier' && (right.type === 'call' || right.type === 'boolean_operator') && this.isLayerFactory(right, frame)) {
      frame.env.delete(left.text);
      return;
    }
    this.store(left, value, statement, frame);
  }

  /** A partial or a timm getter's class (not a plain alias, which frameworkAlias reads). */
  private isLayerFactory(node: Node, frame: Frame): boolean {
    const callable = this.callableOf({ node, scope: frame.scope }, 0);
    return callable !== undefined && (callable.kind === 'partial' || (callable.kind === 'framework' && callable.viaFactory));
  }

  /** Binds a value to a name or `self.X`; a layer assigned to a name learns how fixes address it. */
  private store(target: Node, value: RValue, statement: Node, frame: Frame): void {
    const name = dottedName(target);
    if (name === undefined) return;
    if (name.startsWith('self.') && frame.self && !name.slice(5).includes('.')) {
      const attr = name.slice(5);
      if (value?.t === 'module') frame.self.attributes.set(attr, value.module);
      else if (value?.t === 'list' && value.items.every((i) => i?.t === 'module')) {
        frame.self.attributes.set(attr, { kind: 'list', items: value.items.map((i) => (i as { module: ModuleValue }).module), className: 'list', record: classRecord('list') });
      } else frame.self.attributes.delete(attr);
      if (value?.t === 'table') (frame.self.tables ??= new Map()).set(attr, value.table);
      else frame.self.tables?.delete(attr);
      // `num_patches = self.patch_embed.num_patches`: the part's constants, read through its record (values.ts instanceRecord).
      if (value?.t === 'module' && value.module.kind === 'instance') {
        const record = instanceRecord(value.module.scope);
        frame.scope.settleBound(name, record);
        frame.self.scope.settle(name, record);
      }
    }
    if (value?.t === 'module') this.place(value.module, name, statement);
    // A model bound to a name, or a Sequential head put on a model's attribute (`model.fc = nn.Sequential(...)`
    // on a torchvision backbone, issue 11 §2).
    const head = target.type === 'attribute' && !name.startsWith('self.') && value?.t === 'module' && value.module.kind === 'sequence';
    if (value?.t === 'module' && (target.type === 'identifier' || head)) frame.bindings.push({ name, statement, module: value.module });
    frame.env.set(name, value);
  }

  /** Tells PyTorch fix builders how the file names a layer (`self.fc1`, `model[2]`) and where its statement ends. */
  private place(module: ModuleValue, name: string, statement: Node): void {
    // The statement's own module's text, in that module's offsets (moduleCache.ts).
    const { source, base } = this.contextOf(statement);
    const indent = indentationAt(source, statement.startIndex - base);
    // After a trailing comment, not before it: the comment (a suppression, a note) stays on
    // the line it was written for.
    const lineEnd = lineEndAt(source, statement.endIndex - base);
    const rest = source.slice(statement.endIndex - base, lineEnd);
    const at = { offset: /^[ \t]*#/.test(rest) ? lineEnd + base : statement.endIndex, indent };
    if ((module.kind === 'encoderLayer' || module.kind === 'decoderLayer') && module.initsAtCopy) {
      const outer = outerIndentation(source, statement.startIndex - base, indent);
      const unit = outer !== undefined && indent.startsWith(outer) && indent.length > outer.length ? indent.slice(outer.length) : '    ';
      const eol = lineEndingOf(source);
      module.redrawSite = { name, ...at, unit, eol };
    }
    const visit = (m: ModuleValue, path: string) => {
      if (m.kind === 'weight' && m.torchFixes && m.torchFixes.target === undefined) {
        m.torchFixes.target = `${path}.weight`;
        m.torchFixes.insertAt = at;
      } else if (m.kind === 'sequence') {
        m.items.forEach((item, i) => visit(item, `${path}[${i}]`));
      }
    };
    visit(module, name);
  }

  /** `out += self.shortcut(x)`: named where it stops a value being followed, as a binary operator is. */
  private augmented(node: Node, frame: Frame): void {
    const outer = breakSite.node;
    breakSite.node = node;
    try {
      this.augmentedAssignment(node, frame);
    } finally {
      breakSite.node = outer;
    }
  }

  private augmentedAssignment(node: Node, frame: Frame): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const op = node.childForFieldName('operator')?.text;
    const name = left ? dottedName(left) : undefined;
    if (!left || !right || name === undefined) return;
    const a = frame.lookup(name);
    const b = this.expression(right, frame);
    if (op === '+=' && a?.t === 'list' && b?.t === 'list') {
      // `layers += [block]` extends the list in place, as Python does (amortised O(1)).
      appendAll(a.items, b === a ? [...b.items] : b.items);
      return;
    }
    if (op === '+=' && a?.t === 'tensor' && b?.t === 'tensor' && frame.trace) {
      frame.env.set(name, { t: 'tensor', tensor: frame.trace.add(a.tensor, b.tensor, spanOf(node)) });
      return;
    }
    if (op === '+=' && a?.t === 'tensor' && b?.t === 'table' && frame.trace && !insideAttention(a.tensor)) {
      const summed = this.positionTableSum(a.tensor, b.table, node, frame.trace);
      if (summed) {
        frame.env.set(name, { t: 'tensor', tensor: summed });
        return;
      }
    }
    if ((op === '*=' || op === '/=' || op === '+=' || op === '-=') && a?.t === 'tensor' && b?.t !== 'tensor' && frame.trace) {
      // A value it cannot read (`out += shortcut` from a conditional) may be a tensor: unknown, as before.
      const value = evaluate(right, frame.scope);
      if (value !== undefined) {
        frame.env.set(name, { t: 'tensor', tensor: this.rescaled(a.tensor, op.slice(0, 1), value, node, frame.trace, true) });
        return;
      }
    }
    frame.env.set(name, opaqued(a, frame));
  }

  private forLoop(node: Node, frame: Frame, outputs: Tensor[] | undefined): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const body = node.childForFieldName('body');
    if (!left || !right || !body) return;
    const iterations = this.iterate(right, frame, node);
    // A nest of loops (a script's `for epoch in range(100): for i in range(64):` training loop) unrolled
    // pass by pass would spend the unit's step budget and lose its models (IW003): past MAX_UNROLL
    // passes in all it is read as a loop InitWise cannot follow, as one loop that long is.
    if (!iterations || iterations.length * frame.unrolled > MAX_UNROLL || node.childForFieldName('alternative')) {
      this.taint(body, frame);
      return;
    }
    const targets = left.type === 'pattern_list' || left.type === 'tuple_pattern' ? left.namedChildren : [left];
    const carried = new Map(carriedNames(body));
    // What a carried name holds as each pass starts: its value before the loop, then what the previous pass computed.
    const carriedValues = new Map<string, Value | undefined>();
    // A loop variable the body reassigns is rebound to the next item each pass, not carried: unknown.
    const loopVariables = new Set(targets.map((t) => dottedName(t)));
    // forEach and indexed loops: a check runs this in V8's baseline tiers, where for…of allocates per step (issue 16).
    carried.forEach((next, name) => {
      if (loopVariables.has(name)) carried.set(name, undefined);
      carriedValues.set(name, next && !loopVariables.has(name) ? frame.scope.valueBeforeLoop(node, name) : undefined);
    });
    for (let pass = 0; pass < iterations.length; pass++) {
      const item = iterations[pass]!;
      if (this.exhausted) return;
      const scope = new Scope(frame.scope);
      const values = targets.length === 1 ? [item] : unpacked(item);
      if (!values || values.length !== targets.length) {
        this.taint(body, frame);
        return;
      }
      targets.forEach((target, i) => {
        const name = dottedName(target);
        const v = values[i]!;
        if (name === undefined) return;
        scope.bindValue(name, v.value ?? (v.r?.t === 'module' ? v.r.module.record : undefined));
        frame.env.set(name, v.r);
      });
      bindAssignments(body.namedChildren, scope);
      // A followed name (followedNames.ts) is read as each pass executes, not carried.
      carriedValues.forEach((value, name) => {
        if (!scope.followerOf(name)) scope.bindValue(name, value);
      });
      const inner = new Frame(scope, frame.self, frame.trace, frame.shared || iterations.length > 1, frame.depth);
      inner.unrolled = frame.unrolled * iterations.length;
      inner.env.clear();
      // forEach, not for…of: no [key, value] array per entry and pass (issue 16).
      frame.env.forEach((v, k) => inner.env.set(k, v));
      this.run(body.namedChildren, inner, outputs);
      inner.env.forEach((v, k) => frame.env.set(k, v));
      // The next pass's value, computed with this pass's bindings (where the name still holds its value from before).
      carried.forEach((next, name) => { if (next) carriedValues.set(name, evaluate(next, scope)); });
      if (body.descendantsOfType('break_statement').length > 0 || body.descendantsOfType('continue_statement').length > 0) {
        this.taint(body, frame);
        return;
      }
    }
  }

  /** What a `for` iterates over: range(N), a constant tuple, a module list, modules(), enumerate/zip of those. */
  private iterate(node: Node, frame: Frame, loop?: Node): Iteration[] | undefined {
    const call = callParts(node);
    const callee = call ? dottedName(call.callee) : undefined;
    if (call && callee === 'range') {
      const args = call.positional.map((p) => evaluate(p, frame.scope));
      if (!args.every(isNumber) || args.length === 0 || args.length > 3) return undefined;
      // A loop over the depth: the count as the code spells it, for IW402's fix (depthScaleSites.ts).
      if (args.length === 1 && Number.isInteger(args[0])) this.depthSites.recordCount(call.positional[0]!);
      const [start, stop, step] = args.length === 1 ? [0, args[0]!, 1] : [args[0]!, args[1]!, args[2] ?? 1];
      if (step === 0 || !Number.isInteger(start) || !Number.isInteger(stop) || !Number.isInteger(step)) return undefined;
      const out: { r: RValue; value: Value }[] = [];
      for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
        if (out.length > MAX_UNROLL) return undefined;
        out.push({ r: undefined, value: i });
      }
      return out;
    }
    if (call && (callee === 'enumerate' || callee === 'zip')) {
      const parts = call.positional.map((p) => this.iterate(p, frame));
      const known = parts.filter((p): p is NonNullable<typeof p> => p !== undefined);
      if (known.length !== parts.length || known.length === 0) return undefined;
      const lists = callee === 'enumerate' ? [known[0]!.map((_, i) => ({ r: undefined as RValue, value: i })), known[0]!] : known;
      const n = minOf(lists.map((l) => l.length));
      return Array.from({ length: n }, (_, i) => ({
        r: { t: 'list' as const, items: lists.map((l) => l[i]!.r ?? undefined) },
        tuple: lists.map((l) => l[i]!.value ?? (l[i]!.r?.t === 'module' ? l[i]!.r.module.record : undefined)),
      }));
    }
    if (call && call.callee.type === 'attribute') {
      const method = call.callee.childForFieldName('attribute')?.text;
      const object = call.callee.childForFieldName('object');
      if ((method === 'modules' || method === 'children') && object) {
        const owner = this.expression(object, frame);
        if (owner?.t !== 'module') return undefined;
        const modules = method === 'modules' ? allModules(owner.module) : childrenOf(owner.module);
        return modules.map((m) => ({ r: { t: 'module', module: m } }));
      }
      // nanoGPT's `for pn, p in self.named_parameters(): if pn.endswith('c_proj.weight'): …` (namedParameters.ts).
      if ((method === 'named_parameters' || method === 'parameters') && object && call.positional.length === 0 && call.keywords.size === 0) {
        const owner = this.expression(object, frame);
        if (owner?.t !== 'module' || !loop || !parameterLoopFollowed(loop, method === 'named_parameters' ? 2 : 1, (written) => this.imports.canonical(written))) return undefined;
        const weights = namedWeights(owner.module, (m) => this.tied.partnerOf(m));
        if (!weights) return undefined;
        return weights.map(({ name, modules }) => (method === 'parameters' ? { r: this.inits.parameterToken(modules) }
          : { r: { t: 'list' as const, items: [undefined, this.inits.parameterToken(modules)] }, tuple: [name, undefined] }));
      }
      // An nn.ModuleDict's entries: `.values()`, `.keys()`, `.items()` (key, module) pairs.
      if ((method === 'values' || method === 'keys' || method === 'items') && object && call.positional.length === 0) {
        const owner = this.expression(object, frame);
        if (owner?.t !== 'module' || owner.module.className !== 'torch.nn.ModuleDict' || owner.module.kind !== 'instance') return undefined;
        return [...owner.module.attributes].map(([key, m]) => (
          method === 'values' ? { r: { t: 'module' as const, module: m } }
            : method === 'keys' ? { r: undefined, value: key }
              : { r: { t: 'list' as const, items: [undefined, { t: 'module' as const, module: m }] }, tuple: [key, m.record] }));
      }
    }
    const r = this.expression(node, frame);
    if (r?.t === 'list') {
      // `for size in [128, 256]`, `for w in WIDTHS`: each item's constant value, bound to the loop variable.
      const values = constantItems(node, frame.scope, r.items.length);
      return r.items.map((item, i) => ({ r: item, value: values?.[i] }));
    }
    if (r?.t === 'module' && (r.module.kind === 'list' || r.module.kind === 'sequence')) {
      return r.module.items.map((m) => ({ r: { t: 'module', module: m } }));
    }
    const v = evaluate(node, frame.scope);
    if (Array.isArray(v)) return (v as readonly Value[]).map((value) => ({ r: undefined, value }));
    return undefined;
  }

  /** True when the branch taken for certain returned. */
  private ifStatement(node: Node, frame: Frame, outputs: Tensor[] | undefined, returned?: RValue[]): boolean {
    // `if norm_layer is None: norm_layer = nn.BatchNorm2d`, decided when the body was bound (values.ts).
    if (frame.scope.isSettled(node)) return false;
    const condition = node.childForFieldName('condition');
    const consequence = node.childForFieldName('consequence');
    const truth = condition ? this.truth(condition, frame) : undefined;
    if (truth === true) return consequence ? this.run(consequence.namedChildren, frame, outputs, returned) : false;
    if (truth === undefined) {
      if (!this.agreeingBranches(node, frame, outputs)) this.taint(node, frame);
      // Either branch may have run: a followed name either assigns is unknown after the `if`.
      this.forgetFollowed(node, frame);
      return false;
    }
    for (const clause of node.childrenForFieldName('alternative')) {
      if (clause.type === 'else_clause') {
        const body = clause.childForFieldName('body');
        return body ? this.run(body.namedChildren, frame, outputs, returned) : false;
      }
      const c = clause.childForFieldName('condition');
      const t = c ? this.truth(c, frame) : undefined;
      if (t === undefined) {
        this.taint(clause, frame);
        return false;
      }
      if (t) {
        const body = clause.childForFieldName('consequence');
        return body ? this.run(body.namedChildren, frame, outputs, returned) : false;
      }
    }
    return false;
  }

  /**
   * `if self.flash: y = F.scaled_dot_product_attention(…) else: <the same attention by hand>`
   * (nanoGPT): an undecided if/else whose two branches compute the same attention is read as
   * either. Only branches that build and apply no weight layer are tried (running one must not
   * add to the network), each in its own frame; the names both assign must hold the same
   * attention (same projections, scale, mask) and the names only one assigns become unknown.
   * False: the branches were not both run or do not agree (the caller taints the statement).
   */
  private agreeingBranches(node: Node, frame: Frame, outputs: Tensor[] | undefined): boolean {
    const consequence = node.childForFieldName('consequence');
    const alternatives = node.childrenForFieldName('alternative');
    const otherwise = alternatives.length === 1 && alternatives[0]!.type === 'else_clause' ? alternatives[0]!.childForFieldName('body') : null;
    if (!consequence || !otherwise || !frame.trace || !frame.self) return false;
    const self = frame.self;
    for (const body of [consequence, otherwise]) {
      if (['return_statement', 'yield', 'for_statement', 'while_statement', 'if_statement', 'function_definition'].some((type) => body.descendantsOfType(type).length > 0)) return false;
      // Nothing stored on the module: running both branches must leave it as it was.
      const assignments = [...body.descendantsOfType('assignment'), ...body.descendantsOfType('augmented_assignment')];
      if (assignments.some((a) => !/^[\p{L}_][\p{L}\p{N}_]*$/u.test(a.childForFieldName('left')?.text ?? ''))) return false;
      for (const call of body.descendantsOfType('call')) {
        const callee = call.childForFieldName('function');
        const written = callee ? dottedName(callee) : undefined;
        // self.<dropout/activation/norm>(…) and framework functions only: nothing that holds weights, inits one
        // (an in-place method, nn.init) or runs code of the file.
        const method = callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text ?? '' : '';
        if (method.endsWith('_') || (written !== undefined && this.imports.canonical(written).startsWith('torch.nn.init'))) return false;
        if (written?.startsWith('self.')) {
          const part = self.attributes.get(written.slice(5));
          if (!part || !['dropout', 'activation', 'norm', 'pass'].includes(part.kind)) return false;
        } else if (callee?.type === 'identifier' && (frame.env.get(callee.text)?.t === 'module' || this.functionNamed(callee.text) || this.classNamed(callee.text))) {
          return false;
        } else if (written !== undefined && /^torch\.nn\.[A-Z]|^keras\.|^flax\./.test(this.imports.canonical(written))) {
          return false;
        }
      }
    }
    const layers = frame.trace.layers.length;
    const runBranch = (body: Node): Frame => {
      const branch = frame.child(frame.scope);
      this.run(body.namedChildren, branch, outputs);
      return branch;
    };
    const a = runBranch(consequence);
    const b = runBranch(otherwise);
    if (frame.trace.layers.length !== layers) return false;
    const changed = (f: Frame) => new Set([...f.env].filter(([name, value]) => frame.env.get(name) !== value || !frame.env.has(name)).map(([name]) => name));
    const inA = changed(a);
    const inB = changed(b);
    const both = [...inA].filter((name) => inB.has(name));
    if (both.length === 0 || !both.every((name) => sameAttention(a.env.get(name), b.env.get(name)))) return false;
    for (const name of both) frame.env.set(name, a.env.get(name));
    for (const name of [...inA, ...inB]) if (!both.includes(name)) frame.env.set(name, opaqued(frame.lookup(name), frame));
    return true;
  }

  /** A condition's value when it is certain (conditions.ts); undefined when it is not. */
  truth(node: Node, frame: Frame): boolean | undefined {
    return conditionValue(node, frame, this);
  }

  /** The framework class `name` is bound to through the scope (conditions.ts: a class is never None). */
  frameworkClassOf(name: string, frame: Frame): string | undefined {
    return name === '' ? undefined : this.frameworkAlias(name, frame);
  }

  /** Code that may or may not run (an unknown branch or loop): uncertainCode.ts. */
  private taint(node: Node, frame: Frame): void {
    this.uncertain.taint(node, frame);
    this.forgetFollowed(node, frame);
  }

  /**
   * An executed `NAME = expr` or `self.X = expr`: a followed name (followedNames.ts) takes its
   * value now, in execution order; a name bound to an expression that reads one gets its value
   * at this point. A target the interpreter cannot pair with its value is unknown.
   */
  private recordAssignment(node: Node, frame: Frame): void {
    // Nothing is followed (nor pending on a followed name) in this frame's scopes: nothing to record.
    if (!frame.scope.followsAny()) return;
    const left = node.childForFieldName('left');
    let right = node.childForFieldName('right');
    if (!left || !right) return;
    const targets = [left];
    while (right.type === 'assignment' && right.childForFieldName('left') && right.childForFieldName('right')) {
      targets.push(right.childForFieldName('left')!);
      right = right.childForFieldName('right')!;
    }
    for (const target of targets) {
      if (target.type === 'pattern_list' || target.type === 'tuple_pattern') {
        this.recordUnpacked(target, right, frame);
        continue;
      }
      const name = dottedName(target);
      if (name === undefined) continue;
      if (frame.scope.followerOf(name)) {
        frame.scope.assignFollowed(name, right, frame.scope);
        continue;
      }
      frame.scope.assignNow(name, right, frame.scope);
      if (name.startsWith('self.') && frame.self) frame.self.scope.assignNow(name, right, frame.scope);
    }
  }

  /**
   * An executed `a, b = right` naming a followed name: each takes its item of `right`'s value now
   * (Python evaluates the right side whole before binding, so `a, b = b, a` swaps); a value that
   * is not a sequence of as many items, a starred or nested target: unknown.
   */
  private recordUnpacked(target: Node, right: Node, frame: Frame): void {
    const parts = target.namedChildren.filter((c) => c.type !== 'comment');
    const names = parts.map((part) => dottedName(part));
    if (!names.some((name) => name !== undefined && frame.scope.followerOf(name))) return;
    const plain = parts.every((part) => part.type === 'identifier' || part.type === 'attribute');
    const value = plain ? evaluate(right, frame.scope) : undefined;
    const items = Array.isArray(value) && value.length === parts.length ? value as readonly Value[] : undefined;
    names.forEach((name, i) => {
      if (name === undefined || !frame.scope.followerOf(name)) return;
      frame.scope.assignFollowed(name, undefined, frame.scope);
      const item = items?.[i];
      if (item !== undefined) frame.scope.assignFollowedValue(name, item);
    });
  }

  /** An executed `NAME op= expr` on a followed name: its new value from the one it held (unknown when either is not a number). */
  private recordAugmented(node: Node, frame: Frame): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const name = left ? dottedName(left) : undefined;
    if (name === undefined || !right || !frame.scope.followerOf(name)) return;
    const before = evaluate(left!, frame.scope);
    const by = evaluate(right, frame.scope);
    const op = node.childForFieldName('operator')?.text;
    const value = !isNumber(before) || !isNumber(by) ? undefined
      : op === '+=' ? before + by : op === '-=' ? before - by : op === '*=' ? before * by
        : op === '//=' && by !== 0 ? Math.floor(before / by) : op === '/=' && by !== 0 ? before / by : undefined;
    frame.scope.assignFollowed(name, undefined, frame.scope);
    if (value !== undefined) frame.scope.assignFollowedValue(name, value);
  }

  /** Followed names that code not followed for certain (`node`) may assign: unknown from here on. */
  private forgetFollowed(node: Node, frame: Frame): void {
    if (!frame.scope.followsAny() || !frame.scope.mayMentionFollowed(node.text)) return;
    for (const type of ['assignment', 'augmented_assignment', 'for_statement']) {
      for (const assignment of node.descendantsOfType(type)) {
        const left = assignment.childForFieldName('left');
        for (const target of left && (left.type === 'pattern_list' || left.type === 'tuple_pattern') ? left.namedChildren : left ? [left] : []) {
          const name = dottedName(target);
          if (name !== undefined && frame.scope.followerOf(name)) frame.scope.assignFollowed(name, undefined, frame.scope);
        }
      }
    }
  }

  // ── expressions ────────────────────────────────────────────────────────

  expression(node: Node, frame: Frame): RValue {
    if (!this.step(node)) return undefined;
    if (this.nesting >= MAX_NESTING) {
      this.limit ??= { kind: 'nesting', node };
      return undefined;
    }
    this.nesting++;
    try {
      return this.evaluateExpression(node, frame);
    } finally {
      this.nesting--;
    }
  }

  private evaluateExpression(node: Node, frame: Frame): RValue {
    // Code of another module runs in that module's context (its imports and constants: moduleContext.ts).
    if ((node.startIndex >= MODULE_OFFSET_BASE || this.ctx !== this.main) && this.contextOf(node) !== this.ctx) return this.within(node, () => this.evaluateExpression(node, frame));
    switch (node.type) {
      case 'parenthesized_expression':
        return node.namedChild(0) ? this.expression(node.namedChild(0)!, frame) : undefined;
      case 'identifier': {
        // The name sliced from the source once (each `.text` is a new string: issue 16).
        const name = node.text;
        if (name === 'self' && frame.self && !frame.env.has('self')) return { t: 'module', module: frame.self };
        const local = frame.env.get(name);
        if (local !== undefined || frame.env.has(name)) return local;
        const cls = this.classNamed(name);
        if (cls) return { t: 'class', definition: cls.definition, name: cls.name };
        const fn = this.functionNamed(name);
        if (fn) return this.functionValue(fn);
        return this.classAlias(name, frame.scope);
      }
      case 'attribute':
        return this.attribute(node, frame);
      case 'boolean_operator': {
        // `se_layer = se_layer or SqueezeExcite` (timm's blocks) with a class of the file's own: the
        // operand Python's `or` gives (orOperand.ts), a left side holding a class or module being truthy.
        const chosen = orOperand(node, frame.scope, (left) => {
          const held = this.expression(left, frame);
          return held?.t === 'class' || held?.t === 'module' || this.aliasOf({ node: left, scope: frame.scope }, 1) !== undefined;
        });
        return chosen === undefined || chosen === node ? undefined : this.expression(chosen, frame);
      }
      case 'conditional_expression': {
        // `norm if norm is not None else nn.Identity()`: the branch a certain condition picks.
        const [then, condition, otherwise] = node.namedChildren.filter((c) => c.type !== 'comment');
        if (!then || !condition || !otherwise) return undefined;
        const truth = this.truth(condition, frame);
        if (truth === undefined) return this.eitherDropPath(then, otherwise, frame) ?? this.eitherTensor(then, otherwise, frame);
        return this.expression(truth ? then : otherwise, frame);
      }
      case 'subscript': {
        const value = node.childForFieldName('value');
        const index = node.childForFieldName('subscript');
        if (!value || !index) return undefined;
        const container = this.expression(value, frame);
        const i = evaluate(index, frame.scope);
        // nn.ModuleDict by key: `self.heads["cls"]`.
        if (container?.t === 'module' && container.module.kind === 'instance' && typeof i === 'string') {
          const entry = container.module.attributes.get(i);
          return entry ? { t: 'module', module: entry } : undefined;
        }
        const items = container?.t === 'list' ? container.items
          : container?.t === 'module' && (container.module.kind === 'list' || container.module.kind === 'sequence')
            ? container.module.items.map((m): RValue => ({ t: 'module', module: m })) : undefined;
        // `self.pos_embedding[:, :(n + 1)]`, `[:seq]`: its first rows (the tokens the stream has).
        if (container?.t === 'table') {
          const parts = node.namedChildren.filter((c) => c !== value && c.type !== 'comment');
          // ConvNeXt's `self.weight[:, None, None]`: a per-channel constant (ones, zeros) broadcast over positions, still only an identity affine (handNorm.ts).
          if (broadcastView(parts) && container.table.shape.length === 1 && !container.table.fixed && container.table.init?.semantics.kind === 'constant') return container;
          return slicesFromStart(parts) ? container : undefined;
        }
        if (container?.t === 'tensor') {
          // timm's `q, k, v = qkv[0], qkv[1], qkv[2]` of a fused projection (attentionTrace.ts).
          const item = packedItem(container.tensor, i);
          if (item) return item;
          // `mask[:, tf.newaxis, :]`: a per-token mask with another axis is still one (kerasTokens.ts).
          if (!frame.trace || container.tensor.tokenMask) return container;
          // `x[:, 0]` of a stream of tokens: its first token, the class token a ViT's head reads.
          const first = !insideAttention(container.tensor) && firstToken(node.namedChildren.filter((c) => c !== value && c.type !== 'comment')) ? frame.trace.tokenPool(container.tensor, 'first', spanOf(node)) : undefined;
          if (first) return { t: 'tensor', tensor: first };
          const x = insideAttention(container.tensor) ? frame.trace.opaque(container.tensor) : container.tensor;
          return { t: 'tensor', tensor: unread(frame.trace, container.tensor, x) };
        }
        if (!items || !isNumber(i) || !Number.isInteger(i)) return undefined;
        return items[i < 0 ? items.length + i : i];
      }
      case 'list':
      case 'tuple':
      case 'expression_list': {
        const items: RValue[] = [];
        for (const child of node.namedChildren) {
          if (child.type === 'comment') continue;
          if (child.type === 'list_splat') {
            const inner = child.namedChild(0) ? this.expression(child.namedChild(0)!, frame) : undefined;
            if (inner?.t !== 'list') return undefined;
            appendAll(items, inner.items);
          } else {
            items.push(this.expression(child, frame));
          }
        }
        return { t: 'list', items };
      }
      case 'list_comprehension':
      case 'generator_expression':
        return this.comprehension(node, frame);
      case 'call':
        return this.call(node, frame);
      case 'binary_operator':
        return this.binary(node, frame);
      case 'comparison_operator': {
        // `source != 0` on the token ids: a per-token mask (kerasTokens.ts). Only names are read: a
        // comparison never applied layers before, and still does not.
        if (!frame.trace) return undefined;
        const mask = tokenComparison(node, (n) => (n.type === 'identifier' ? this.tensorOf(n, frame) : undefined), frame.scope, frame.trace);
        return mask ? { t: 'tensor', tensor: mask } : undefined;
      }
      case 'lambda':
        return { t: 'function', definition: node, scope: frame.scope, self: frame.self };
      default:
        return undefined;
    }
  }

  private attribute(node: Node, frame: Frame): RValue {
    const written = dottedName(node);
    if (written !== undefined && frame.env.has(written)) return frame.env.get(written);
    const object = node.childForFieldName('object');
    const attr = node.childForFieldName('attribute')?.text;
    if (!object || !attr) return undefined;
    if (object.type === 'identifier' && object.text === 'self' && frame.self) {
      const m = frame.self.attributes.get(attr);
      if (m) return { t: 'module', module: m };
      const table = frame.self.tables?.get(attr);
      if (table) return { t: 'table', table };
      return this.methodValue(frame.self, attr);
    }
    if (written !== undefined && this.ctx.resolveImport) {
      const member = this.memberOf(written);
      if (member) return member;
    }
    const owner = this.expression(object, frame);
    // `base.output` of a keras.applications backbone: a tensor of its known shape (its own layers are not traced).
    if (owner?.t === 'module' && owner.module.kind === 'opaque' && owner.module.outShape && attr === 'output' && frame.trace) {
      return { t: 'tensor', tensor: frame.trace.input(owner.module.outShape) };
    }
    // The parts of PyTorch's attention layers (frameworks/attentionLayers.ts).
    if (owner?.t === 'module' && owner.module.kind === 'attention' && attr === 'out_proj') return { t: 'module', module: owner.module.projections[3] };
    if (owner?.t === 'module' && owner.module.kind === 'encoderLayer') {
      const part = attr === 'self_attn' ? owner.module.attention : attr === 'linear1' ? owner.module.linear1 : attr === 'linear2' ? owner.module.linear2 : undefined;
      if (part) return { t: 'module', module: part };
      // nn.TransformerEncoder's `layers`: its copies, each holding the stack's weight modules, so
      // init code run per block (`for block in enc.layers: …`) replaces the inits the copy noted.
      if (attr === 'layers' && owner.module.initsAtCopy) {
        const block: ModuleValue = { ...owner.module, className: 'torch.nn.TransformerEncoderLayer', copies: 1, initsAtCopy: undefined, finalNorm: undefined };
        return { t: 'module', module: { kind: 'list', items: Array.from({ length: owner.module.copies }, () => block), className: 'torch.nn.ModuleList', record: classRecord('torch.nn.ModuleList') } };
      }
    }
    if (owner?.t === 'module' && owner.module.kind === 'decoderLayer') {
      const m = owner.module;
      const part = attr === 'self_attn' ? m.selfAttention : attr === 'multihead_attn' ? m.crossAttention : attr === 'linear1' ? m.linear1 : attr === 'linear2' ? m.linear2 : undefined;
      if (part) return { t: 'module', module: part };
      // nn.TransformerDecoder's `layers`: its copies, as nn.TransformerEncoder's above.
      if (attr === 'layers' && m.initsAtCopy) {
        const block: ModuleValue = { ...m, className: 'torch.nn.TransformerDecoderLayer', copies: 1, initsAtCopy: undefined, finalNorm: undefined };
        return { t: 'module', module: { kind: 'list', items: Array.from({ length: m.copies }, () => block), className: 'torch.nn.ModuleList', record: classRecord('torch.nn.ModuleList') } };
      }
    }
    if (owner?.t === 'module' && owner.module.kind === 'transformer' && (attr === 'encoder' || attr === 'decoder')) {
      return { t: 'module', module: owner.module[attr] };
    }
    if (owner?.t === 'module' && owner.module.kind === 'instance') {
      const m = owner.module.attributes.get(attr);
      if (m) return { t: 'module', module: m };
      // `self.feed_forward.init_weights(std)`, `layer.init_weights()`: a method of another
      // instance of the file's classes runs with that instance as `self` (llama2's init chain).
      // Not a class of an imported module: `model.generate(x, 500)` on the importer's model
      // would replay its sampling loop, with nothing to learn about the init.
      // An imported class's method that holds init code (`model.init_weights()` in train.py) runs.
      if (this.contextOf(owner.module.definition) === this.main) return this.methodValue(owner.module, attr);
      const method = this.methodOf(owner.module, attr);
      return typeof method === 'object' && this.uncertain.holdsInitCode(method) ? this.methodValue(owner.module, attr) : undefined;
    }
    if (owner?.t === 'tensor') return owner;
    if (owner?.t === 'table' && attr === 'data') return owner;
    return undefined;
  }

  private comprehension(node: Node, frame: Frame): RValue {
    const body = node.childForFieldName('body');
    const clauses = node.namedChildren.filter((c) => c.type === 'for_in_clause' || c.type === 'if_clause');
    const clause = clauses[0];
    if (!body || clauses.length !== 1 || clause?.type !== 'for_in_clause') return undefined;
    const left = clause.childForFieldName('left');
    const right = clause.childForFieldName('right');
    if (!left || !right) return undefined;
    const iterations = this.iterate(right, frame);
    const name = dottedName(left);
    if (!iterations || iterations.length > MAX_UNROLL || name === undefined) return undefined;
    const items: RValue[] = [];
    for (const item of iterations) {
      const scope = new Scope(frame.scope);
      scope.bindValue(name, item.value ?? (item.r?.t === 'module' ? item.r.module.record : undefined));
      const inner = frame.child(scope);
      inner.env.set(name, item.r);
      items.push(this.expression(body, inner));
    }
    return { t: 'list', items };
  }

  /** An operator on values (`x * y`), named where it stops a value being followed (trace.ts breakSite). */
  private binary(node: Node, frame: Frame): RValue {
    const outer = breakSite.node;
    breakSite.node = node;
    try {
      return this.binaryValue(node, frame);
    } finally {
      breakSite.node = outer;
    }
  }

  private binaryValue(node: Node, frame: Frame): RValue {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const op = node.childForFieldName('operator')?.text;
    if (!left || !right) return undefined;
    const a = this.expression(left, frame);
    const b = this.expression(right, frame);
    if (a?.t === 'list' && b?.t === 'list' && op === '+') return { t: 'list', items: [...a.items, ...b.items] };
    if (a?.t === 'list' && op === '*') {
      const n = evaluate(right, frame.scope);
      if (isNumber(n) && Number.isInteger(n) && n >= 0 && n * a.items.length <= MAX_UNROLL) return { t: 'list', items: Array.from({ length: n }, () => a.items).flat() };
      return undefined;
    }
    const trace = frame.trace;
    if (!trace) return undefined;
    if (a?.t === 'tensor' && b?.t === 'tensor') return this.binaryOfTensors(a.tensor, b.tensor, op, node, frame, trace);
    const tensor = a?.t === 'tensor' ? a : b?.t === 'tensor' ? b : undefined;
    if (!tensor) return undefined;
    // Hand-written norms (handNorm.ts): `m + self.eps`, `x ** 2`, `m ** -0.5`; the affine `* self.weight` (ones), `+ self.bias` (zeros).
    const otherNode = tensor === a ? right : left;
    const otherValue = tensor === a ? b : a;
    const normStep = op === '+' ? withEpsilon(trace, tensor.tensor, evaluate(otherNode, frame.scope), isEpsilonAttribute(otherNode.text))
      : op === '**' && tensor === a ? powerOf(trace, tensor.tensor, evaluate(right, frame.scope)) : undefined;
    if (normStep) return { t: 'tensor', tensor: normStep };
    if (otherValue?.t === 'table' && identityAffine(otherValue.table, op ?? '', tensor === b)) return tensor;
    // Any other step on a statistic is not the norm's: the value is unknown, as before.
    if (tensor.tensor.normStep) return { t: 'tensor', tensor: trace.opaque(withoutStep(tensor.tensor)) };
    if (shiftedPositions(tensor.tensor, op, tensor === a ? right : left, frame.scope)) return tensor;
    // `x + self.pos_embed`: a position table whose init is known (parameterTables.ts).
    const other = tensor === a ? b : a;
    if (op === '+' && other?.t === 'table' && !insideAttention(tensor.tensor)) {
      const summed = this.positionTableSum(tensor.tensor, other.table, node, trace);
      if (summed) return { t: 'tensor', tensor: summed };
    }
    // Attention: a constant factor on q, k or the logits (attentionTrace.ts); anything else inside one is unknown.
    const scaled = attentionScale(tensor.tensor, op ?? '', tensor === a ? right : left, tensor === a, this.attentionContext(frame));
    if (scaled === 'unknown') return { t: 'tensor', tensor: trace.opaque(tensor.tensor) };
    // A projection's factor (or a step after which it is no longer one) is attention's only
    // if the value ends in an attention: that reads the projection part, not the tensor. Any
    // other use of the tensor sees a scale the simulation has no op for (rescaled).
    if (scaled) return { t: 'tensor', tensor: insideAttention(scaled) ? scaled : this.rescaled(scaled, op ?? '', evaluate(tensor === a ? right : left, frame.scope), node, trace, tensor === a) };
    // A tensor scaled by a constant, or shifted by a parameter, keeps what feeds what; the
    // simulation has no op for the new scale, so unless the step is an identity the network
    // is not simulated (it once reported `relu(fc(x)) * 10` with the numbers of `relu(fc(x))`).
    if (op === '*' || op === '/' || op === '+' || op === '-' || op === '@') {
      const other = tensor === a ? right : left;
      const value = evaluate(other, frame.scope);
      if (value === undefined && (op === '*' || op === '/' || op === '@')) return { t: 'tensor', tensor: trace.opaque(tensor.tensor) };
      return { t: 'tensor', tensor: this.rescaled(tensor.tensor, op, value, node, trace, tensor === a) };
    }
    return { t: 'tensor', tensor: trace.opaque(tensor.tensor) };
  }

  /** `a op b` of two traced tensors. */
  private binaryOfTensors(a: Tensor, b: Tensor, op: string | undefined, node: Node, frame: Frame, trace: Trace): RValue {
    const left = node.childForFieldName('left')!;
    const right = node.childForFieldName('right')!;
    // A step of a hand-written LayerNorm/RMSNorm: centring, squaring, normalising (handNorm.ts).
    const normStep = op === '-' ? centred(trace, a, b)
      : op === '*' && a === b ? squareOf(trace, a)
        : normalised(trace, a, b, op ?? '', spanOf(node), node.text);
    if (normStep) return { t: 'tensor', tensor: normStep };
    // Any other use of a statistic sees the unknown value it is.
    if (a.normStep || b.normStep) return this.binaryOfTensors(withoutStep(a), withoutStep(b), op, node, frame, trace);
    const edit = (headDim: number) => logitScaleEdit(node, left, right, headDim, this.attentionContext(frame), this.attentionFixes);
    const product = op === '@' ? attentionMatmul(a, b, spanOf(node), trace, edit) : undefined;
    if (product) return { t: 'tensor', tensor: product };
    if (op === '+' || op === '-') return { t: 'tensor', tensor: trace.add(a, b, spanOf(node)) };
    return { t: 'tensor', tensor: trace.merge([a, b], a.shape) };
  }

  /**
   * `x * c`, `x / c`, `x + c`, `x - c` (c a constant, or for + and − anything that is not a
   * traced tensor: a parameter, noise): an identity (×±1, +0) changes nothing; otherwise the
   * signal's scale changes in a way the simulation does not model (Trace.unfollowed). Steps
   * inside a hand-written attention (logits, weights) keep what attentionTrace.ts made of them.
   */
  /**
   * `self.register_buffer(name, value)`: a fixed sinusoidal table the enclosing method computed is
   * held as a table of the module (read when added to the stream); any other buffer is forgotten
   * under that name, as before.
   */
  private registerBuffer(call: CallParts, frame: Frame): void {
    const self = frame.self!;
    const nameNode = argument(call, 0, 'name');
    const value = argument(call, 1, 'tensor');
    const name = nameNode ? stringValue(nameNode) : undefined;
    if (name === undefined) return;
    self.tables?.delete(name);
    const method = value && !call.spread && [...call.keywords.keys()].every((k) => k === 'name' || k === 'tensor' || k === 'persistent')
      ? self.definition.descendantsOfType('function_definition').find((f) => f.startIndex <= call.node.startIndex && call.node.endIndex <= f.endIndex) : undefined;
    const read = method && value ? sinusoidalBuffer(value, bodyOf(method), frame.scope, (n) => {
      const dotted = dottedName(n);
      return dotted === undefined ? undefined : this.imports.canonical(dotted);
    }) : undefined;
    if (!read) return;
    (self.tables ??= new Map()).set(name, { shape: read.shape, init: undefined, rowsText: undefined, span: spanOf(call.node), fixed: read.table });
  }

  /** `self.pos_embed` (or `.data` of it, or a name bound to one): the table the module holds, else undefined. Reads no other expression. */
  private tableAt(node: Node, frame: Frame): ParameterTable | undefined {
    let n = node;
    if (n.type === 'attribute' && n.childForFieldName('attribute')?.text === 'data') n = n.childForFieldName('object')!;
    if (n.type === 'identifier') {
      const bound = frame.env.get(n.text);
      return bound?.t === 'table' ? bound.table : undefined;
    }
    if (n.type !== 'attribute' || n.childForFieldName('object')?.text !== 'self' || !frame.self) return undefined;
    return frame.self.tables?.get(n.childForFieldName('attribute')!.text);
  }

  /** `x + table`: a position table when the table has one row per token and a known zero-mean init; undefined otherwise. */
  private positionTableSum(x: Tensor, table: ParameterTable, node: Node, trace: Trace): Tensor | undefined {
    const width = x.shape && x.shape.length > 0 ? x.shape[x.shape.length - 1] : undefined;
    if (table.fixed?.kind === 'sincos2d') {
      // A 2-D table is added whole: its h·w rows are the tokens.
      if (width !== undefined && Number.isFinite(width) && width !== table.fixed.width) return undefined;
      const fixed = table.fixed;
      const label = `2-D sin-cos (${fixed.gridHeight}×${fixed.gridWidth} patches, base ${String(fixed.base)})`;
      const op: PositionTableOp = { op: 'positionTable', init: undefined, fixed, secondMoment: 0.5, label, span: spanOf(node) };
      return trace.positionTable(x, op, { count: fixed.rows, text: table.rowsText ?? String(fixed.rows) }, table);
    }
    if (table.fixed) {
      // A fixed table's rows are max_len, not the tokens: those are the network's (stated or assumed).
      if (width !== undefined && Number.isFinite(width) && width !== table.fixed.width) return undefined;
      const op: PositionTableOp = { op: 'positionTable', init: undefined, fixed: table.fixed, secondMoment: 0.5, label: `sinusoidal (Vaswani et al. 2017, base ${formatNumber(table.fixed.base)})`, span: spanOf(node) };
      return trace.positionTable(x, op, undefined, table);
    }
    const rows = tokenRows(table, width);
    if (rows === 'not-rows' || rows === undefined || rows < 2) return undefined;
    const init = zeroMeanSecondMoment(table);
    if (!init) return undefined;
    const op: PositionTableOp = { op: 'positionTable', init: init.semantics, secondMoment: init.secondMoment, label: init.label, span: spanOf(node) };
    return trace.positionTable(x, op, { count: rows, text: table.rowsText ?? String(rows) }, table);
  }

  /**
   * `torch.cat((cls_tokens, x), dim=1)`: one learned token (shape (1, 1, d) or (1, d), a known
   * zero-mean init) put in front of the stream's tokens; a table of no rows ((0, d), (1, 0, d))
   * adds nothing. Undefined for any other concatenation.
   */
  private classTokenCat(call: CallParts, items: readonly RValue[], frame: Frame, trace: Trace): Tensor | undefined {
    const [first, second] = items;
    if (items.length !== 2 || first?.t !== 'table' || second?.t !== 'tensor' || insideAttention(second.tensor)) return undefined;
    const dimNode = call.keywords.get('dim')?.value ?? call.positional[1];
    const dim = dimNode ? evaluate(dimNode, frame.scope) : 0;
    const shape = first.table.shape;
    const oneToken = (shape.length === 3 && shape[0] === 1 && shape[1] === 1) || (shape.length === 2 && shape[0] === 1);
    // vit-pytorch's `pool = 'mean'`: `torch.randn(0, dim)`, no token at all; the concatenation is the stream itself.
    const noToken = (shape.length === 3 && shape[0] === 1 && shape[1] === 0) || (shape.length === 2 && shape[0] === 0);
    if (!(oneToken || noToken) || !(dim === 1 || dim === -2) || [...call.keywords.keys()].some((k) => k !== 'dim')) return undefined;
    if (noToken) return second.tensor;
    const width = second.tensor.shape && second.tensor.shape.length > 0 ? second.tensor.shape[second.tensor.shape.length - 1] : undefined;
    const d = shape[shape.length - 1];
    if (d !== undefined && width !== undefined && d !== width) return undefined;
    const init = zeroMeanSecondMoment(first.table);
    if (!init) return undefined;
    return trace.classToken(second.tensor, { op: 'classToken', init: init.semantics, secondMoment: init.secondMoment, label: init.label, span: spanOf(call.node) });
  }

  private rescaled(tensor: Tensor, op: string, value: Value | undefined, node: Node, trace: Trace, tensorOnLeft: boolean): Tensor {
    if (insideAttention(tensor)) return tensor;
    const identity = isNumber(value) && (op === '*' || (op === '/' && tensorOnLeft) ? Math.abs(value) === 1 : op === '+' || op === '-' ? value === 0 : false);
    if (identity) return tensor;
    const factor = constantFactor(op, value, node, tensorOnLeft);
    if (factor) return trace.scaled(tensor, factor);
    const written = node.text.length <= 48 ? node.text : `${node.text.slice(0, 45)}…`;
    const what = op === '/' && !tensorOnLeft ? 'divides by the signal' : op === '*' || op === '/' ? 'scales the signal by a constant' : op === '@' ? 'multiplies the signal by a constant' : 'adds a term to the signal';
    return trace.unfollowed(tensor, `\`${written.replace(/\s+/g, ' ')}\` ${what}, which the simulation does not model`);
  }

  /** A call, with it as the place a value that stops being followed names (trace.ts breakSite). */
  private call(node: Node, frame: Frame): RValue {
    const outer = breakSite.node;
    breakSite.node = node;
    try {
      return this.callValue(node, frame);
    } finally {
      breakSite.node = outer;
    }
  }

  private callValue(node: Node, frame: Frame): RValue {
    const call = callParts(node);
    if (!call) return undefined;
    const callee = call.callee;
    const written = dottedName(callee);
    const canonical = written === undefined ? undefined
      : callee.type === 'identifier' || written.startsWith('self.') || this.recordField(written, frame) ? this.frameworkAlias(written, frame) ?? this.imports.canonical(written)
        : this.imports.canonical(written);

    // `self.register_buffer('pe', pe)` of a sinusoidal table the constructor computed (sinusoidalTables.ts).
    if (written === 'self.register_buffer' && frame.self) {
      this.registerBuffer(call, frame);
      return undefined;
    }

    // Method calls on lists, tensors and modules.
    if (callee.type === 'attribute') {
      const method = callee.childForFieldName('attribute')!.text;
      const objectNode = callee.childForFieldName('object')!;
      if (frame.self) {
        const inherited = this.baseMethodCall(method, objectNode, call, frame);
        if (inherited !== 'not-handled') return inherited;
      }
      const handled = this.methodCall(method, objectNode, call, frame, canonical);
      if (handled !== 'not-handled') return handled;
    }
    if (canonical !== undefined) {
      // torchsummary's `summary(model, (3, 32, 32))` (no batch axis) and torchinfo's `summary(model, input_size=(1, 3, 32, 32))`.
      if ((canonical === 'torchsummary.summary' || canonical === 'torchinfo.summary') && call.positional[0]) {
        this.recordTorchSummary(canonical, call, frame);
        return undefined;
      }
      // A learned tensor the module holds, and init calls on one (parameterTables.ts).
      if (canonical === 'torch.nn.Parameter') {
        const table = parameterTable(call, (n) => {
          const name = dottedName(n);
          return name === undefined ? undefined : this.imports.canonical(name);
        }, frame.scope);
        return table ? { t: 'table', table } : undefined;
      }
      const initFunction = torchInitName(canonical);
      if (initFunction !== undefined) {
        const first = call.positional[0] ?? call.keywords.get('tensor')?.value;
        const table = first ? this.tableAt(first, frame) : undefined;
        if (table) initTable(table, call, canonical, frame.scope, this.imports);
        else this.inits.torchInit(call, initFunction, frame);
        return undefined;
      }
      // Token positions (nanoGPT's `pos = torch.arange(0, t, dtype=torch.long, device=device)`).
      if (canonical === 'torch.arange' && frame.trace) return { t: 'tensor', tensor: frame.trace.positions() };
      // Keras: `tf.range(…)`, `ops.arange(…)`, `ops.cumsum(ops.ones_like(inputs), axis=-1)` (kerasTokens.ts).
      if (frame.trace && (KERAS_POSITION_RANGES.has(canonical) || isTokenCount(canonical, call, frame.scope, (c) => {
        const name = dottedName(c);
        return name === undefined ? undefined : this.imports.canonical(name);
      }, (n) => this.tensorOf(n, frame)))) return { t: 'tensor', tensor: frame.trace.positions() };
      const container = this.container(canonical, call, frame);
      if (container !== 'not-container') return container;
      const tf1 = tf1LayerCall(canonical, call);
      if (tf1) return this.tf1Layer(tf1, frame);
      const catalog = this.frameCatalog(frame);
      // timm's create_conv2d / create_act_layer / get_act_layer / get_norm_layer (timmLayers.ts).
      const timm = timmFactory(canonical);
      if (timm !== undefined) return this.timmFactoryCall(timm, call, frame);
      if (canonical === 'torch.nn.TransformerEncoder') return this.encoderStack(call, frame);
      if (canonical === 'torch.nn.TransformerDecoder') return this.decoderStack(call, frame);
      const module = attentionLayerModule(canonical, call, catalog) ?? recurrentModule(canonical, call, catalog) ?? frameworkModule(canonical, call, catalog);
      if (module) return { t: 'module', module };
    }
    // `map(lambda t: rearrange(t, …), qkv)` over a list it holds: the lambda's body per item (vit-pytorch's head split).
    if (written === 'map' && !frame.env.has('map') && call.positional.length === 2 && call.positional[0]!.type === 'lambda') {
      const mapped = this.mapLambda(call.positional[0]!, call.positional[1]!, frame);
      if (mapped !== 'not-handled') return mapped;
    }
    // A name bound to `functools.partial(F, ...)` or to what timm's get_act_layer/get_norm_layer return (partials.ts, timmLayers.ts).
    if ((written !== undefined && (callee.type === 'identifier' || callee.type === 'attribute') && (canonical === undefined || !FRAMEWORK_NAME.test(canonical))) || callee.type === 'call') {
      const made = this.factoryMade(written, call, frame);
      if (made !== 'not-handled') return made;
    }
    // Calling a value: the file's own class, a module applied to a tensor, a function of the file.
    const target = this.expression(callee, frame);
    if (target?.t === 'class') {
      const cls = this.classAt(target.definition);
      return cls ? this.classCall(cls, call, frame) : undefined;
    }
    // Each argument is evaluated once: evaluating it applies the layers in it.
    const args = call.positional.map((p) => (p.type === 'list_splat' ? undefined : this.expression(p, frame)));
    // `repeat(self.cls_token, '1 n d -> b n d', b=b)`: the same table for every sequence.
    if (canonical === 'einops.repeat' && args[0]?.t === 'table') return args[0];
    if (canonical !== undefined && /^torch\.(cat|concat)$/.test(canonical) && frame.trace && args[0]?.t === 'list') {
      const withClass = this.classTokenCat(call, args[0].items, frame, frame.trace);
      if (withClass) return { t: 'tensor', tensor: withClass };
    }
    if (target?.t === 'module' && (target.module.kind === 'attention' || target.module.kind === 'encoderLayer')) {
      if (!frame.trace) return undefined;
      if (target.module.kind === 'attention' && target.module.flax) return this.flaxAttentionCall(target.module, call, args, frame);
      if (target.module.kind === 'attention' && target.module.keras) return this.kerasAttentionCall(target.module, call, args, frame);
      return this.attentionLayerCall(target.module, call, args, frame);
    }
    if (target?.t === 'module' && (target.module.kind === 'decoderLayer' || target.module.kind === 'transformer')) {
      if (!frame.trace) return undefined;
      return this.encoderDecoderCall(target.module, call, args, frame);
    }
    // A PyTorch model called on a sample built in place (`model(torch.randn(1, 3, 32, 32))`, or a
    // variable assigned one): the sample's shape is the model's input shape.
    if (target?.t === 'module' && isTorchModel(target.module) && call.positional.length === 1) {
      const shape = torchSampleShape(call.positional[0]!, frame, this.imports);
      if (shape) this.recordShape(target.module, shape);
    }
    if (target?.t === 'module') {
      // A subclassed Keras layer gets every argument of its call (`TransformerEncoder(…)(source=x,
      // source_mask=source != 0)`, `embedding(x, reverse=True)`), its input by keyword too.
      const keras = target.module.kind === 'instance' && target.module.framework === 'keras' ? this.kerasLayerCall(target.module, call, args, frame) : undefined;
      const keywordInput = call.keywords.get('inputs') ?? call.keywords.get('x');
      const input = keras ? keras.input : args[0] ?? (keywordInput ? this.expression(keywordInput.value, frame) : undefined);
      if (!frame.trace || (input?.t !== 'tensor' && input?.t !== 'list')) return undefined;
      // `block(x, memory)`: a decoder block given the stream and a memory of another input.
      const second = target.module.kind === 'instance' && input.t === 'tensor' && args.length === 2 && args[1]?.t === 'tensor'
        && frame.trace.separateInputs(input.tensor, args[1].tensor) ? args[1].tensor : undefined;
      return this.applyModule(target.module, input, frame, call, second, keras?.bound);
    }
    if (target?.t === 'function') {
      if (this.tooDeep(frame.depth, call.node)) return undefined;
      // Keyword arguments are evaluated like positional ones (after them, as Python does): a
      // layer or tensor passed by keyword reaches the function as a value.
      const keywords = new Map<string, RValue>();
      for (const [key, { value }] of call.keywords) keywords.set(key, this.expression(value, frame));
      const result = this.callFunction(target, call, args, keywords, frame);
      // A method of an instance reached its module where the instance was built (or its class inherited: noteImportedBases).
      if (target.definition.startIndex >= MODULE_OFFSET_BASE && this.ctx === this.main && !target.self) {
        const name = target.definition.childForFieldName('name')?.text ?? 'lambda';
        this.importedCalls.set(call.node, { module: this.contextOf(target.definition), name, value: result?.t === 'module' ? result.module : undefined });
      }
      return result;
    }
    // `tf.placeholder(tf.float32, shape=[None, 784])`: a TF 1 graph's input (batch axis dropped; unknown dimensions unknown).
    if ((canonical === 'tensorflow.placeholder' || canonical === 'tensorflow.compat.v1.placeholder') && frame.trace) {
      const shapeNode = call.positional[1] ?? call.keywords.get('shape')?.value;
      return { t: 'tensor', tensor: frame.trace.input(shapeNode ? batchless(evaluate(shapeNode, frame.scope)) : undefined) };
    }
    // `tf.reshape(features, shape=[-1, 28, 28, 1])` in a TF 1 builder: whatever the input was,
    // what flows on has that shape (an input of the traced graph).
    if (canonical === 'tensorflow.reshape' && frame.trace && tensorsOf(args[0]).length === 0) {
      const shapeNode = call.positional[1] ?? call.keywords.get('shape')?.value;
      const shape = shapeNode ? batchless(evaluate(shapeNode, frame.scope)) : undefined;
      if (shape) return { t: 'tensor', tensor: frame.trace.input(shape) };
    }
    if (canonical !== undefined && frame.trace) {
      const mask = maskFunction(canonical, call, args[0]?.t === 'tensor' ? args[0].tensor : undefined, frame.scope, frame.trace);
      if (mask) return { t: 'tensor', tensor: mask };
      const step = attentionFunction(canonical, call, args, this.attentionContext(frame));
      if (step !== 'not-handled') return step;
      const trace = frame.trace;
      const plain = args.map((a): RValue => (a?.t === 'tensor' && insideAttention(a.tensor) ? { t: 'tensor', tensor: trace.opaque(a.tensor) } : a));
      const result = tensorFunction(canonical, call, plain, trace, frame.scope);
      if (result !== 'not-handled') {
        const before = plain[0]?.t === 'tensor' ? plain[0].tensor : undefined;
        return before && result?.t === 'tensor' ? { t: 'tensor', tensor: unread(trace, before, result.tensor) } : result;
      }
    }
    // `x.init_weights()` on a receiver it could not read, where a class of the file defines
    // that method with init code: the layers it may set are unknown (uncertainCode.ts).
    if (callee.type === 'attribute' && target === undefined && this.uncertain.isInitMethodName(callee.childForFieldName('attribute')!.text)) {
      this.uncertain.taint(node, frame);
    } else if (callee.type === 'attribute' && target === undefined && frame.self && callee.childForFieldName('object')!.text === 'self') {
      // `self._init_weights()` where a base InitWise cannot read may define it (inheritance.ts).
      this.uncertain.selfCallOfUnknownMethod(callee.childForFieldName('attribute')!.text, node, frame);
    }
    // A function InitWise cannot read given a layer's weight (`my_init(m.weight)`): that init is unknown.
    if (target === undefined && written !== undefined) this.uncertain.unreadFunctionOnWeights(call, frame, canonical ?? written);
    // Anything else that receives a tensor: its consumers are unknown.
    const tensors = args.flatMap(tensorsOf);
    if (tensors.length > 0 && frame.trace) return { t: 'tensor', tensor: frame.trace.merge(tensors, undefined) };
    return undefined;
  }

  /** `cfg.activation`: a field of a config record (values.ts Scope.expressionOf), not a module or method. */
  private recordField(written: string, frame: Frame): boolean {
    const dot = written.lastIndexOf('.');
    if (dot <= 0 || this.imports.binds(written.slice(0, written.indexOf('.')))) return false;
    const head = written.slice(0, dot);
    if (frame.env.get(head) !== undefined) return false;
    // Cheap tests first (this runs for every method call on a plain name): the name must be
    // bound to a config class's call, or to a name or attribute that may hold one.
    const binding = frame.scope.lookup(head);
    if (!binding) return false;
    if ('node' in binding) {
      const node = binding.node;
      if (node.type === 'call') {
        const callee = callParts(node)?.callee;
        const name = callee ? dottedName(callee) : undefined;
        if (name === undefined || binding.scope.configClass(name) === undefined) return false;
      } else if (node.type !== 'identifier' && node.type !== 'attribute') {
        return false;
      }
    }
    return frame.scope.lookup(written) === undefined && frame.scope.expressionOf(written) !== undefined;
  }

  /**
   * A parameter or local name bound to one of the file's classes, through as many names as
   * it was passed along (torchvision's `resnet18()` → `_resnet(BasicBlock, ...)` →
   * `ResNet(block, ...)` → `block(...)`): that class. Each name is read in the scope its
   * binding belongs to, so a local that shadows a class is never taken for it.
   */
  private classAlias(name: string, scope: Scope): RValue {
    let bound = scope.expressionOf(name);
    for (let hops = 0; bound?.node.type === 'identifier' && hops < 8; hops++) {
      const next = bound.scope.expressionOf(bound.node.text);
      if (!next) {
        const cls = this.classNamed(bound.node.text, this.contextOf(bound.node));
        return cls ? { t: 'class', definition: cls.definition, name: cls.name } : undefined;
      }
      bound = next;
    }
    return undefined;
  }

  /**
   * A name bound to a framework class or function and called like it: a local or parameter
   * (`norm_layer = nn.BatchNorm2d`, `def __init__(self, norm_layer=nn.BatchNorm2d)`,
   * torchvision's `norm_layer(planes)`), or a field of the module (a Flax dataclass field
   * `activation: Callable = nn.relu`, overridable as `MLP(activation=nn.gelu)`, or
   * `self.act = act` in a constructor), applied as `self.activation(h)`. The binding is
   * followed through as many names as it was passed along, each read in the scope it
   * belongs to: the class's or function's canonical name. Undefined when the chain ends
   * in anything else — a parameter without a value, a call, the file's own classes and
   * functions, a name holding a runtime value — so such a call stays unknown.
   */
  private frameworkAlias(name: string, frame: Frame): string | undefined {
    if (this.namesDefinition(name) || frame.env.has(name)) return undefined;
    if (name.startsWith('self.') && !this.recordField(name, frame)) {
      // A module or method of the instance is called as such, not through its field's default.
      const field = name.slice(5);
      if (!frame.self || field.includes('.') || frame.self.attributes.has(field) || this.hasMethod(frame.self, field)) return undefined;
    }
    const bound = frame.scope.expressionOf(name);
    return bound ? this.aliasOf(bound, 0) : undefined;
  }

  /** frameworkAlias from one binding on: each name it was passed along, and `x or Default` read as Python reads it. */
  private aliasOf(start: { readonly node: Node; readonly scope: Scope }, depth: number): string | undefined {
    let bound: { readonly node: Node; readonly scope: Scope } | undefined = start;
    for (let hops = 0; bound && hops < 8; hops++) {
      // `x or Default` (orOperand.ts): a left side naming a framework class is truthy, and the result.
      const chosen: Node | undefined = depth < 4 ? orOperand(bound.node, bound.scope, (left, scope) => this.aliasOf({ node: left, scope }, depth + 1) !== undefined) : bound.node;
      if (chosen === undefined) return undefined;
      if (chosen !== bound.node) {
        bound = { node: chosen, scope: bound.scope };
        continue;
      }
      const target: string | undefined = bound.node.type === 'identifier' || bound.node.type === 'attribute' ? dottedName(bound.node) : undefined;
      if (target === undefined) return undefined;
      const imports: Imports = this.contextOf(bound.node).imports;
      const next: ReturnType<Scope['lookup']> = imports.binds(target.split('.')[0]!) ? undefined : bound.scope.lookup(target);
      if (next === undefined) {
        const canonical = imports.canonical(target);
        return FRAMEWORK_NAME.test(canonical) ? canonical : undefined;
      }
      // Bound to an unknown value (a parameter without one, a loop variable): unknown.
      if (!('node' in next)) return undefined;
      bound = next;
    }
    return undefined;
  }

  /** The file's class called: built (or opaque, its init flag left unknown by `**kwargs`). */
  private classCall(cls: ClassInfo, call: CallParts, frame: Frame): RValue {
    if (this.tooDeep(frame.depth, call.node)) return undefined;
    const functional = this.functionalSubclass(cls, call, frame);
    if (functional) return functional;
    // Init code of unknown reach under a flag `**kwargs` leaves unknown: nothing can come of its layers (initUnderUnknownFlag.ts).
    if (this.initFlagLeftUnknown(cls, call, frame)) {
      const unread: ModuleValue = { kind: 'opaque', className: cls.name, record: classRecord(cls.name) };
      this.unreadConstructions.add(unread);
      // Built inside another class, it is nested there as instantiate() records it.
      if (frame.self && this.contextOf(cls.definition) === this.main) {
        this.nested.add(cls.name);
        this.unitNested.push(cls.name);
      }
      return { t: 'module', module: unread };
    }
    const instance = this.instantiate(cls, call, frame);
    if (cls.definition.startIndex >= MODULE_OFFSET_BASE && this.ctx === this.main) this.importedCalls.set(call.node, { module: this.contextOf(cls.definition), name: cls.name, value: instance });
    return { t: 'module', module: instance };
  }

  /**
   * What a binding names as a layer factory, followed as aliasOf follows names: a framework
   * class, the file's class, a `functools.partial` of one (partials.ts), or what timm's
   * `get_act_layer(name)` / `get_norm_layer(name)` return (timmLayers.ts; `viaFactory`).
   */
  private callableOf(start: { readonly node: Node; readonly scope: Scope }, depth: number): Callable | undefined {
    let bound: { readonly node: Node; readonly scope: Scope } | undefined = start;
    for (let hops = 0; bound && hops < 8 && depth < 6; hops++) {
      const chosen: Node | undefined = orOperand(bound.node, bound.scope, (left, scope) => this.callableOf({ node: left, scope }, depth + 1) !== undefined);
      if (chosen === undefined) return undefined;
      if (chosen !== bound.node) {
        bound = { node: chosen, scope: bound.scope };
        continue;
      }
      const node = unparen(bound.node);
      const context = this.contextOf(node);
      if (node.type === 'call') {
        const call = callParts(node);
        const written = call ? dottedName(call.callee) : undefined;
        if (!call || written === undefined || (call.callee.type === 'identifier' && bound.scope.lookup(written) !== undefined)) return undefined;
        const canonical = context.imports.canonical(written);
        if (canonical === PARTIAL) {
          const first = call.positional[0];
          const target = first && first.type !== 'list_splat' ? this.callableOf({ node: first, scope: bound.scope }, depth + 1) : undefined;
          return target ? { kind: 'partial', call, scope: bound.scope, target } : undefined;
        }
        const factory = timmFactory(canonical);
        if (factory !== 'get_act_layer' && factory !== 'get_norm_layer') return undefined;
        const argumentNode = factoryArgument(call, factory);
        if (!argumentNode || call.spread || call.positional.length > 1) return undefined;
        const value = evaluate(argumentNode, bound.scope);
        if (typeof value === 'string') {
          const named = factory === 'get_act_layer' ? timmActivationClass(value) : timmNormClass(value);
          return named ? { kind: 'framework', canonical: named, viaFactory: true } : undefined;
        }
        // A class or partial passes through get_act_layer; get_norm_layer keeps a partial's keywords only (create_norm.py).
        const passed = this.callableOf({ node: argumentNode, scope: bound.scope }, depth + 1);
        if (!passed || (passed.kind === 'partial' && factory === 'get_norm_layer' && passed.call.positional.length > 1)) return undefined;
        return passed.kind === 'framework' ? { ...passed, viaFactory: true } : passed;
      }
      const target: string | undefined = node.type === 'identifier' || node.type === 'attribute' ? dottedName(node) : undefined;
      if (target === undefined) return undefined;
      const imports: Imports = context.imports;
      const next: ReturnType<Scope['lookup']> = imports.binds(target.split('.')[0]!) ? undefined : bound.scope.lookup(target);
      if (next === undefined) {
        const canonical = imports.canonical(target);
        if (FRAMEWORK_NAME.test(canonical)) return { kind: 'framework', canonical, viaFactory: false };
        const cls = node.type === 'identifier' ? this.classNamed(target, context) : undefined;
        return cls ? { kind: 'class', cls } : undefined;
      }
      if (!('node' in next)) return undefined;
      bound = next;
    }
    return undefined;
  }

  /**
   * `norm_layer(dim)` where the name is bound to a partial or a timm getter's result: the layer
   * built with the merged arguments; undefined (unknown) where a merge is not exact;
   * 'not-handled' for a plain name (frameworkAlias, classes) or a function target.
   */
  private factoryMade(written: string | undefined, call: CallParts, frame: Frame): RValue | 'not-handled' {
    if (written !== undefined && (this.namesDefinition(written) || frame.env.has(written))) return 'not-handled';
    if (written?.startsWith('self.') === true) {
      const field = written.slice(5);
      if (!frame.self || field.includes('.') || frame.self.attributes.has(field) || this.hasMethod(frame.self, field)) return 'not-handled';
    }
    // `get_norm_layer('batchnorm')(chs)`, `partial(nn.LayerNorm, eps=1e-6)(dim)`: the callee itself.
    const bound = written === undefined ? { node: call.callee, scope: frame.scope } : frame.scope.expressionOf(written);
    const callable = bound ? this.callableOf(bound, 0) : undefined;
    if (!callable || (callable.kind === 'framework' && !callable.viaFactory) || callable.kind === 'class') return 'not-handled';
    let merged: BoundCall = { call, scope: frame.scope };
    let target: Callable = callable;
    const here = this.contextOf(call.node);
    while (target.kind === 'partial') {
      const next = mergePartial(target, merged, this.contextOf(target.call.node) === here);
      if (!next) return undefined;
      // A bound argument read as a runtime value (a module, a tensor) would be read in the caller's frame: not merged.
      if (target.scope !== frame.scope && target.call.positional.slice(1).concat([...target.call.keywords.values()].map((k) => k.value)).some((n) => mentionedNames(n).some((name) => frame.env.get(name) !== undefined))) return undefined;
      merged = next;
      target = target.target;
    }
    if (target.kind === 'class') return this.classCall(target.cls, merged.call, frame.child(merged.scope));
    const canonical = target.canonical;
    // A function (`partial(F.gelu, approximate="tanh")(x)`) is read as before.
    if (!/^[A-Z]/.test(canonical.slice(canonical.lastIndexOf('.') + 1))) return 'not-handled';
    return this.frameworkLayer(canonical, merged, frame);
  }

  /**
   * A framework class built with `bound`'s arguments: the catalog's layer, an activation read
   * from the merged arguments (the catalog reads an activation's from the call as written).
   */
  private frameworkLayer(canonical: string, bound: BoundCall, frame: Frame): RValue {
    const catalog: CatalogContext = { ...this.frameCatalog(frame), scope: bound.scope };
    const module = attentionLayerModule(canonical, bound.call, catalog) ?? recurrentModule(canonical, bound.call, catalog) ?? frameworkModule(canonical, bound.call, catalog);
    if (module?.kind !== 'activation' && module?.kind !== 'opaque') return module ? { t: 'module', module } : undefined;
    const activation = readActivationClass(bound.call, canonical, bound.scope);
    if (activation === undefined) return { t: 'module', module };
    if (activation === 'unknown') return { t: 'module', module: { kind: 'opaque', className: canonical, record: classRecord(canonical) } };
    return { t: 'module', module: { kind: 'activation', use: activation, span: spanOf(bound.call.node), className: canonical, record: classRecord(canonical) } };
  }

  /** timm's factories called by name (timmLayers.ts): create_conv2d's conv, create_act_layer's activation; the getters return classes, not modules. */
  private timmFactoryCall(factory: TimmFactory, call: CallParts, frame: Frame): RValue {
    if (factory === 'create_conv2d') {
      const conv = timmConv2d(call, this.frameCatalog(frame));
      return conv ? { t: 'module', module: conv } : undefined;
    }
    if (factory !== 'create_act_layer') return undefined;
    // create_act_layer(name, inplace=None, **kwargs): get_act_layer(name)(**kwargs); `inplace` changes no value.
    const nameNode = factoryArgument(call, factory);
    if (!nameNode || call.spread || call.positional.length > 2) return undefined;
    const value = evaluate(nameNode, frame.scope);
    const named = typeof value === 'string' ? timmActivationClass(value) : undefined;
    const passed = typeof value === 'string' || value === null ? undefined : this.callableOf({ node: nameNode, scope: frame.scope }, 0);
    const canonical = named ?? (passed?.kind === 'framework' ? passed.canonical : undefined);
    if (canonical === undefined) return undefined;
    const keywords = new Map(call.keywords);
    keywords.delete('name');
    keywords.delete('inplace');
    return this.frameworkLayer(canonical, { call: { ...call, positional: [], keywords }, scope: frame.scope }, frame);
  }

  /**
   * Flax: the shape (batch axis dropped) of a sample input built in place — `jnp.ones((1, 784))`,
   * `jnp.zeros(shape)`, `jax.random.normal(key, (8, 28, 28, 1))`, or a variable assigned
   * one — recorded for the module and, when every such call agrees, for its class.
   */
  private recordInputShape(module: ModuleValue, sample: Node | undefined, frame: Frame): void {
    let node = sample;
    if (node?.type === 'identifier') node = frame.scope.expressionOf(node.text)?.node;
    const call = node ? callParts(node) : undefined;
    const written = call ? dottedName(call.callee) : undefined;
    if (!call || written === undefined) return;
    const canonical = this.imports.canonical(written);
    const shapeNode = SAMPLE_FACTORIES.has(canonical) ? argument(call, 0, 'shape')
      : SAMPLE_DRAWS.has(canonical) ? argument(call, 1, 'shape') : undefined;
    this.recordShape(module, shapeNode ? shapeValue(evaluate(shapeNode, frame.scope)) : undefined);
  }

  /** torchsummary (input_size without the batch axis) or torchinfo (with it) on a model of the file. */
  private recordTorchSummary(canonical: string, call: CallParts, frame: Frame): void {
    const model = this.expression(call.positional[0]!, frame);
    const sizeNode = argument(call, 1, 'input_size');
    if (model?.t !== 'module' || !sizeNode) return;
    const size = shapeValue(evaluate(sizeNode, frame.scope));
    if (!size) return;
    this.recordShape(model.module, canonical === 'torchsummary.summary' ? [1, ...size] : size);
  }

  /** Records a sample's shape (batch axis first, any size or None; every other axis known). */
  private recordShape(module: ModuleValue, shape: readonly number[] | undefined): void {
    if (!shape || shape.length < 2 || shape.slice(1).some((d) => !Number.isFinite(d))) return;
    const withoutBatch = shape.slice(1);
    this.inputShapes.set(module, withoutBatch);
    this.unitShapes.push([module.className, withoutBatch]);
    this.classInputShape(module.className, withoutBatch);
  }

  /** A shape shown for a class: kept while every such call agrees (also replayed from a reused unit). */
  classInputShape(className: string, shape: readonly number[]): void {
    const known = this.classInputShapes.get(className);
    this.classInputShapes.set(className, known === undefined || (known !== null && known.join() === shape.join()) ? shape : null);
  }


  /** `keras.Input(shape=...)` / `layers.InputLayer(input_shape=...)` inside a Sequential list: its shape. */
  private kerasInputShape(node: Node, frame: Frame): number[] | undefined | 'not-input' {
    const call = callParts(node);
    const written = call ? dottedName(call.callee) : undefined;
    if (!call || written === undefined) return 'not-input';
    const canonical = this.imports.canonical(written);
    if (canonical !== 'keras.Input' && canonical !== 'keras.layers.Input' && canonical !== 'keras.layers.InputLayer') return 'not-input';
    const shapeNode = call.keywords.get('shape')?.value ?? call.keywords.get('input_shape')?.value ?? call.positional[0];
    return shapeNode ? shapeValue(evaluate(shapeNode, frame.scope)) : undefined;
  }

  /** The tensor an expression evaluates to, if any. */
  private tensorOf(node: Node, frame: Frame): Tensor | undefined {
    const r = this.expression(node, frame);
    return r?.t === 'tensor' ? r.tensor : undefined;
  }

  private tensorArgument(call: CallParts, frame: Frame): RValue {
    const first = call.positional[0] ?? call.keywords.get('inputs')?.value ?? call.keywords.get('x')?.value;
    if (!first) return undefined;
    const r = this.expression(first, frame);
    return r?.t === 'tensor' || r?.t === 'list' ? r : undefined;
  }

  /** Module-level and builder-function calls the interpreter models: containers and inputs. */
  private container(canonical: string, call: CallParts, frame: Frame): RValue | 'not-container' {
    if (!CONTAINERS.has(canonical)) return 'not-container';
    let inputShape: number[] | undefined;
    // PyTorch's containers keep an item InitWise cannot read as an opaque module, as ModuleList.append
    // does: the layers around it stay in the list (a downsample `nn.Sequential(conv1x1(…), norm_layer(…))`
    // with an unread norm_layer kept its projection out of the widths), and the network says it cannot
    // be simulated. A spread of a list of unknown length still leaves the whole container unknown.
    const keepsUnread = canonical === 'torch.nn.Sequential' || canonical === 'torch.nn.ModuleList';
    const items = (nodes: readonly Node[]): ModuleValue[] | undefined => {
      const out: ModuleValue[] = [];
      for (const n of nodes) {
        const input = this.kerasInputShape(n, frame);
        if (input !== 'not-input') {
          inputShape = input;
          continue;
        }
        const r = n.type === 'list_splat' ? (n.namedChild(0) ? this.expression(n.namedChild(0)!, frame) : undefined) : this.expression(n, frame);
        const list = n.type === 'list_splat' || r?.t === 'list' ? (r?.t === 'list' ? r.items : undefined) : [r];
        if (!list) return undefined;
        for (const item of list) {
          if (item?.t === 'tensor' && out.length === 0) {
            inputShape = item.tensor.shape ? [...item.tensor.shape] : undefined;
            continue;
          }
          if (item === undefined && keepsUnread) out.push({ kind: 'opaque', className: 'unknown', record: classRecord('unknown') });
          else if (item?.t !== 'module') return undefined;
          else out.push(item.module);
        }
      }
      return out;
    };
    const record = classRecord(canonical);
    switch (canonical) {
      case 'torch.nn.Sequential':
      case 'flax.nnx.Sequential': {
        if (call.positional.length === 1 && call.positional[0]!.type === 'call') {
          const inner = callParts(call.positional[0]!);
          const name = inner ? dottedName(inner.callee) : undefined;
          if (name && /OrderedDict$/.test(name)) return { t: 'module', module: { kind: 'opaque', className: canonical, record } };
        }
        const list = items(call.positional);
        return { t: 'module', module: list ? { kind: 'sequence', items: list, className: canonical, record } : { kind: 'opaque', className: canonical, record } };
      }
      case 'torch.nn.ModuleList': {
        const arg = call.positional[0];
        const list = arg ? items([arg]) : [];
        return { t: 'module', module: list ? { kind: 'list', items: list, className: canonical, record } : { kind: 'opaque', className: canonical, record } };
      }
      case 'torch.nn.ModuleDict':
        return this.moduleDict(call, frame, record);
      case 'keras.Sequential':
      case 'keras.models.Sequential':
      case 'flax.linen.Sequential': {
        const arg = call.positional[0] ?? call.keywords.get('layers')?.value;
        const list = arg ? items(arg.type === 'list' ? arg.namedChildren.filter((c) => c.type !== 'comment') : [arg]) : [];
        return { t: 'module', module: list ? { kind: 'sequence', items: list, className: canonical, record, inputShape } : { kind: 'opaque', className: canonical, record } };
      }
      case 'keras.Model':
      case 'keras.models.Model':
      // keras.applications build with the class keras.Model(inputs, outputs) returns.
      case 'keras.models.Functional':
      case 'keras.models.functional.Functional':
        return { t: 'module', module: this.functionalModel(call, frame, record) };
      case 'keras.Input':
      case 'keras.layers.Input': {
        const shapeNode = call.keywords.get('shape')?.value ?? call.positional[0];
        const shape = shapeNode ? shapeValue(evaluate(shapeNode, frame.scope)) : undefined;
        if (!frame.trace) return undefined;
        // A script's next model starts from its own Input: on a trace of its own, so the layers of
        // the models built before are not counted as this one's (a notebook builds a dozen).
        if (this.modelTraces.has(frame.trace) && !frame.self) frame.trace = new Trace();
        // A second Input on the same trace (an encoder–decoder's `keras.Model([source, target], …)`):
        // a root of its own, so the one stream can read the other only as a cross-attention's memory.
        const inputs = (this.kerasInputs.get(frame.trace) ?? 0) + 1;
        if (!frame.self) this.kerasInputs.set(frame.trace, inputs);
        const input = inputs === 2 && !frame.self ? frame.trace.secondInput(shape) : frame.trace.input(shape);
        // `shape=(100,)`: token ids of sequences of 100 (an Embedding's lookup makes them the network's tokens).
        const count = shape?.length === 1 ? shape[0]! : NaN;
        if (Number.isInteger(count) && count > 0 && shapeNode) this.inputTokens.set(input, { count, text: shapeNode.text.replace(/\s+/g, ' ') });
        return { t: 'tensor', tensor: input };
      }
      default:
        return 'not-container';
    }
  }

  /** keras.Input calls made on each trace by a script or builder (the second is the trace's second input). */
  private readonly kerasInputs = new WeakMap<Trace, number>();

  /** `keras.Model(inputs, outputs)`: a functional model over the frame's trace. */
  private functionalModel(call: CallParts, frame: Frame, record: RecordValue): ModuleValue {
    const outputsNode = call.keywords.get('outputs')?.value ?? call.positional[1];
    const outputs = outputsNode ? tensorsOf(this.expression(outputsNode, frame)) : [];
    const model: ModuleValue = { kind: 'opaque', className: 'keras.Model', record };
    if (frame.trace && outputs.length > 0) {
      this.functional.set(model, { trace: frame.trace, outputs });
      this.modelTraces.add(frame.trace);
    }
    return model;
  }

  /**
   * `CustomModel(inputs, outputs)` with `class CustomModel(keras.Model)` defining neither
   * `__init__` nor `call` (Deep Learning with Python's custom `train_step`): keras.Model's own
   * constructor, a functional model. Undefined for any other class.
   */
  private functionalSubclass(cls: ClassInfo, call: CallParts, frame: Frame): RValue {
    if (!frame.trace || cls.framework !== 'keras' || findMethod(cls, '__init__') !== undefined || forwardMethod(cls) !== undefined) return undefined;
    const bases = cls.baseNodes.map((n) => dottedName(n)).map((w) => (w === undefined ? undefined : this.imports.canonical(w)));
    if (!bases.some((b) => b === 'keras.Model' || b === 'keras.models.Model')) return undefined;
    return { t: 'module', module: this.functionalModel(call, frame, classRecord('keras.Model')) };
  }

  /**
   * `out = tf.nn.softmax(out) if not is_training else out` on a condition it cannot decide:
   * when both branches are a name or a framework function of names (nothing a branch could
   * build), the value is their tensors merged — what consumes the layer before is unknown,
   * the layers before it stay traced. Anything else is unknown.
   */
  /**
   * `DropPath(p) if p > 0. else nn.Identity()` with p not known (timm's and ConvNeXt's blocks): a
   * drop path whose presence is not known, so the branch it ends keeps its structure. Only calls of
   * these two classes are evaluated here (building them has no effect).
   */
  private eitherDropPath(then: Node, otherwise: Node, frame: Frame): RValue {
    const classOf = (n: Node): string | undefined => {
      const parts = unparen(n).type === 'call' ? callParts(unparen(n)) : undefined;
      const callee = parts ? dottedName(parts.callee) : undefined;
      return callee === undefined ? undefined : this.imports.canonical(callee);
    };
    const kinds = [classOf(then), classOf(otherwise)];
    const drop = (k: string | undefined) => k !== undefined && (TIMM_DROP_PATH.test(k) || TORCHVISION_STOCHASTIC_DEPTH.test(k));
    if (!kinds.some(drop) || !kinds.every((k) => drop(k) || k === 'torch.nn.Identity')) return undefined;
    const dropPath = [then, otherwise].map((n) => this.expression(n, frame)).find((v) => v?.t === 'module' && v.module.kind === 'dropPath');
    // Undecided presence: p not known (simulated at 0, marked assumed); a form that is not the op stays unread.
    return dropPath?.t === 'module' && dropPath.module.kind === 'dropPath' ? { t: 'module', module: { ...dropPath.module, rate: undefined } } : undefined;
  }

  private eitherTensor(then: Node, otherwise: Node, frame: Frame): RValue {
    const pure = (n: Node): boolean => {
      const e = unparen(n);
      if (e.type === 'identifier') return true;
      const parts = e.type === 'call' ? callParts(e) : undefined;
      const callee = parts ? dottedName(parts.callee) : undefined;
      return parts !== undefined && callee !== undefined && /^(tensorflow\.nn|torch\.nn\.functional|jax\.nn)\./.test(this.imports.canonical(callee))
        && parts.keywords.size === 0 && parts.positional.every((p) => unparen(p).type === 'identifier');
    };
    if (!frame.trace || !pure(then) || !pure(otherwise)) return undefined;
    const tensors = [...tensorsOf(this.expression(then, frame)), ...tensorsOf(this.expression(otherwise, frame))];
    return tensors.length === 2 ? { t: 'tensor', tensor: frame.trace.merge(tensors, undefined) } : undefined;
  }

  /**
   * `tf.layers.dense(x, 128, activation=tf.nn.relu)` (frameworks/tf1Layers.ts): the Keras
   * layer applied to `x`. An input the interpreter cannot read (a builder's parameter, a
   * `features["images"]`) is an input of unknown shape: the layers after it are traced, and
   * what depends on its width stays unknown.
   */
  private tf1Layer(tf1: Tf1LayerCall, frame: Frame): RValue {
    const module = frameworkModule(tf1.className, tf1.layer, this.frameCatalog(frame));
    const read = tf1.input ? this.expression(tf1.input, frame) : undefined;
    if (!module || !frame.trace) return tensorsOf(read).length > 0 && frame.trace ? { t: 'tensor', tensor: frame.trace.opaque(tensorsOf(read)[0]!) } : undefined;
    const input: RValue = read?.t === 'tensor' || read?.t === 'list' ? read : { t: 'tensor', tensor: frame.trace.input(undefined) };
    if (allModules(module).some((m) => m.kind === 'weight')) this.tf1Layers++;
    return this.applyModule(module, input, frame, tf1.layer);
  }

  /** TF 1 functional weight layers built so far: a function whose call built some and returned a tensor is a model's builder. */
  tf1Layers = 0;
  /**
   * Models of TF 1 builders the module script called (`gen_sample = generator(noise_input)`):
   * the tensors the call returned, traced from the script's inputs (`tf.placeholder`), as a
   * functional model named after the builder (parse.ts; one per builder, its first call).
   */
  readonly tf1Models: { readonly model: ModuleValue; readonly call: Node }[] = [];

  /** `x.view(...)`, `x.relu()`, `layers.append(m)`, `model.add(m)`, `model.apply(fn)`, `m.weight.data.normal_()`, `model.load_state_dict(...)`. */
  private methodCall(method: string, objectNode: Node, call: CallParts, frame: Frame, canonical: string | undefined): RValue | 'not-handled' {
    // A learned tensor the module holds: in-place inits, and broadcasting it over the batch.
    const table = this.tableAt(objectNode, frame);
    if (table) {
      if (method.endsWith('_')) {
        tableMethod(table, method, call, frame.scope, this.imports);
        return undefined;
      }
      return TABLE_VIEWS.has(method) ? { t: 'table', table } : undefined;
    }
    // A recurrent layer's parameter: self.lstm.bias_ih_l0.data[h:2*h].fill_(1.0), .weight_hh_l0.data.normal_(…)
    if (method.endsWith('_') && this.inits.recurrentMethod(method, objectNode, call, frame)) return undefined;
    // A weight a parameter loop bound: p.data.normal_(0, 0.02), p.mul_(…)
    if (method.endsWith('_') && this.inits.parameterInit(objectNode, frame, () => readTensorMethod(method, call, frame.scope, this.imports), call.node)) return undefined;
    // nn.MultiheadAttention's own parameters: self.attn.in_proj_weight.data.normal_(0, 0.02)
    if (method.endsWith('_') && this.inits.attentionParameter(objectNode, frame, () => readTensorMethod(method, call, frame.scope, this.imports), call.node)) return undefined;
    // PyTorch in-place init on a weight tensor: self.fc.weight.data.normal_(0, 0.02)
    if (method.endsWith('_') && /\.(weight|bias)(\.data)?$/.test(objectNode.text)) {
      const read = readTensorMethod(method, call, frame.scope, this.imports);
      if (read !== 'not-init') {
        // m.bias.data.zero_(): the bias's second moment (initCalls.ts setBias).
        if (/\.bias(\.data)?$/.test(objectNode.text)) this.inits.setBias(this.inits.biasTarget(objectNode, frame), read);
        const targets = this.inits.weightTarget(objectNode, frame);
        this.inits.setInit(targets, objectNode, read, call.node, frame);
        return undefined;
      }
    }
    if (canonical !== undefined && (canonical.startsWith('torch.') || canonical.startsWith('keras.') || canonical.startsWith('flax.') || canonical.startsWith('jax.'))) {
      if (!this.imports.binds(objectNode.text) && frame.env.has(objectNode.text) === false && !canonical.startsWith('torch.nn.init.')) {
        // A framework function (nn.functional.relu) rather than a method on a local value.
        const head = (dottedName(objectNode) ?? '').split('.')[0]!;
        if (this.imports.binds(head)) return 'not-handled';
      }
    }
    const owner = this.expression(objectNode, frame);
    if (owner?.t === 'list') {
      const name = dottedName(objectNode);
      // In place, as Python does: every alias of the list sees the item, and a loop of
      // appends costs amortised O(1) each (copying made 10^6 appends quadratic; issue 12).
      if (method === 'append' && name !== undefined) {
        const item = call.positional[0] ? this.expression(call.positional[0], frame) : undefined;
        owner.items.push(item);
        frame.env.set(name, owner);
        return undefined;
      }
      if (method === 'extend' && name !== undefined) {
        const more = call.positional[0] ? this.expression(call.positional[0], frame) : undefined;
        if (more?.t === 'list') appendAll(owner.items, more === owner ? [...more.items] : more.items);
        frame.env.set(name, more?.t === 'list' ? owner : undefined);
        return undefined;
      }
    }
    if (owner?.t === 'module') {
      const module = owner.module;
      // A layer's own re-draw with its constructor's defaults (the remedy IW404 gives for copied blocks).
      if (method === 'reset_parameters' && module.kind === 'weight' && module.className === 'torch.nn.Linear' && call.positional.length === 0) {
        module.init = defaultInit('pytorch', module.layerKind);
        module.biasVariance = frameworkDefaultBiasVariance('pytorch', module.layerKind, module.geometry(undefined).frameworkFans?.fanIn ?? 0);
        return undefined;
      }
      if (method === '_reset_parameters' && module.kind === 'attention' && !module.flax && call.positional.length === 0) {
        resetAttentionParameters(module);
        return undefined;
      }
      const flax = module.kind === 'instance' ? module.framework === 'flax' : module.className.startsWith('flax.');
      // Flax: `model.init(rng, x)` shows the input's shape (a linen layer's input width comes
      // from the data); `model.apply(variables, x)` is the forward pass, not PyTorch's apply(fn).
      if (flax && method === 'init') {
        this.recordInputShape(module, call.positional[1] ?? call.keywords.get('x')?.value, frame);
        return undefined;
      }
      if (flax && method === 'apply') return undefined;
      // Keras: `model.build((None, 784))` states a subclassed model's input shape.
      if (method === 'build' && module.kind === 'instance' && module.framework === 'keras') {
        const shapeNode = argument(call, 0, 'input_shape');
        if (shapeNode) this.recordShape(module, shapeValue(evaluate(shapeNode, frame.scope)));
        return undefined;
      }
      if (method === 'apply' && call.positional[0]) {
        const fn = this.expression(call.positional[0], frame);
        if (fn?.t === 'function') this.inits.applyFunction(module, fn, frame, call.node, objectNode);
        else for (const m of allModules(module)) this.inits.unknownInit(m, call.node);
        return owner;
      }
      if (method === 'load_state_dict' || method === 'load_weights' || method === 'from_pretrained' || method === 'set_weights') {
        this.loaded.add(module);
        return undefined;
      }
      if (method === 'add' && module.kind === 'sequence' && call.positional[0]) {
        const item = this.expression(call.positional[0], frame);
        const name = dottedName(objectNode);
        if (item?.t === 'module' && name !== undefined) {
          const grown: ModuleValue = { ...module, items: [...module.items, item.module] };
          frame.env.set(name, { t: 'module', module: grown });
          // The binding that made this Sequential is the grown one now (every binding is a model).
          for (let i = frame.bindings.length - 1; i >= 0; i--) {
            if (frame.bindings[i]!.module !== module) continue;
            frame.bindings[i] = { ...frame.bindings[i]!, module: grown };
            break;
          }
        }
        return undefined;
      }
      // ModuleList.append/extend grow the list in place. An item that cannot be read is kept
      // as an opaque module: dropping it made `self.layers.extend([Attention(…), FeedForward(…)])`
      // (vit-pytorch's vit_with_keel_post_ln) a ViT with no blocks, simulated as if complete.
      if ((method === 'append' || method === 'extend') && module.kind === 'list' && call.positional[0]) {
        const value = this.expression(call.positional[0], frame);
        const grown = module.items as ModuleValue[];
        const unread: ModuleValue = { kind: 'opaque', className: 'unknown', record: classRecord('unknown') };
        if (method === 'append') grown.push(value?.t === 'module' ? value.module : unread);
        else if (value?.t === 'list') for (const item of value.items) grown.push(item?.t === 'module' ? item.module : unread);
        else if (value?.t === 'module' && (value.module.kind === 'list' || value.module.kind === 'sequence')) appendAll(grown, value.module === module ? [...value.module.items] : value.module.items);
        else grown.push(unread);
        return undefined;
      }
      if (method === 'forward' || method === '__call__' || method === 'call') {
        const input = this.tensorArgument(call, frame);
        return input && frame.trace ? this.applyModule(module, input, frame, call) : undefined;
      }
      if (['to', 'cuda', 'cpu', 'train', 'eval', 'double', 'float', 'half', 'requires_grad_'].includes(method)) return owner;
      // `self.fc1(x)` is an attribute call, not a method: the module call path handles it.
      if (module.kind === 'instance') return 'not-handled';
      return undefined;
    }
    if (owner?.t === 'class' && (method === 'from_pretrained' || method === 'load_from_checkpoint')) {
      const cls = this.classAt(owner.definition);
      if (!cls || this.tooDeep(frame.depth, call.node)) return undefined;
      const instance = this.instantiate(cls, call, frame);
      this.loaded.add(instance);
      return { t: 'module', module: instance };
    }
    if (owner?.t === 'tensor' && frame.trace) {
      // `B, T, C = x.size()`: reading a tensor's size leaves the tensor as it is.
      if (['size', 'dim', 'numel', 'get_device'].includes(method)) return undefined;
      const step = attentionMethod(method, call, owner.tensor, this.attentionContext(frame));
      if (step !== 'not-handled') return step;
      const x = insideAttention(owner.tensor) ? frame.trace.opaque(owner.tensor) : owner.tensor;
      return { t: 'tensor', tensor: unread(frame.trace, x, tensorMethod(method, objectNode, call, x, frame.trace, frame.scope)) };
    }
    return 'not-handled';
  }

  /**
   * `self.attn(x, x, x, attn_mask=…)` (nn.MultiheadAttention: returns the output and the
   * weights) and `self.encoder(src, mask=…)`: self-attention over one value, with no mask or a
   * causal one (attentionTrace.ts); anything else is unknown.
   */
  private attentionLayerCall(module: AttentionModule | EncoderLayerModule, call: CallParts, args: readonly RValue[], frame: Frame): RValue {
    const trace = frame.trace!;
    const context = this.attentionContext(frame);
    const inputs = args.flatMap(tensorsOf);
    const x = inputs[0];
    if (!x) return undefined;
    const unknown = (): RValue => {
      const out: RValue = { t: 'tensor', tensor: trace.merge(inputs, undefined) };
      return module.kind === 'attention' ? { t: 'list', items: [out, undefined] } : out;
    };
    if (call.spread) return unknown();
    // Masks: absent or None, or causal; a padding mask is not followed.
    const maskNames = module.kind === 'attention' ? ['attn_mask', 'key_padding_mask'] : module.className === 'torch.nn.TransformerEncoder' ? ['mask', 'src_key_padding_mask'] : ['src_mask', 'src_key_padding_mask'];
    const positionalMasks = module.kind === 'attention' ? call.positional.slice(3) : call.positional.slice(1);
    let causal = false;
    for (const [i, name] of maskNames.entries()) {
      const node = call.keywords.get(name)?.value ?? positionalMasks[module.kind === 'attention' ? (i === 0 ? 2 : 0) : i];
      if (!node || evaluate(node, frame.scope) === null) continue;
      if (i === 0 && isCausalMaskNode(node, context)) causal = true;
      else return unknown();
    }
    if (module.kind === 'attention') {
      if (inputs.length !== 3 || args.length < 3) return unknown();
      // `mha(x, memory, memory)`: cross-attention, its keys and values from another input's memory.
      const memory = inputs[1] !== x && inputs[1] === inputs[2] && !causal ? inputs[1] : undefined;
      if (!memory && (inputs[1] !== x || inputs[2] !== x)) return unknown();
      const out = memory ? this.crossAttention(module, x, memory, frame) : this.selfAttention(module, x, causal, frame);
      return { t: 'list', items: [out ? { t: 'tensor', tensor: out } : { t: 'tensor', tensor: trace.merge(memory ? [x, memory] : [x], undefined) }, undefined] };
    }
    if (inputs.length !== 1) return unknown();
    return { t: 'tensor', tensor: this.encoderLayers(module, x, causal, frame) };
  }

  /**
   * A Flax `nn.MultiHeadDotProductAttention` / `nn.SelfAttention` called on one value (self-attention):
   * `attn(x)`, `attn(x, x)`, `inputs_q=x`, …; `mask=None` or `nn.make_causal_mask(…)`. Its widths
   * come from x's features. Anything else makes the value unknown.
   */
  private flaxAttentionCall(module: AttentionModule, call: CallParts, args: readonly RValue[], frame: Frame): RValue {
    const trace = frame.trace!;
    const values: RValue[] = [...args];
    const features = module.flax!;
    const nnx = module.className === 'flax.nnx.MultiHeadAttention';
    let causal = false;
    // nnx raises unless decode is given (constructor or call); only decode=False is read.
    let decodeFalse = features.decodeGiven === true;
    let readable = !call.spread && (!nnx || call.positional.length <= 3);
    for (const [name, { value }] of call.keywords) {
      if (name === 'inputs_q' || name === 'inputs_k' || name === 'inputs_v' || (!nnx && name === 'inputs_kv')) values.push(this.expression(value, frame));
      else if (name === 'mask') {
        if (evaluate(value, frame.scope) === null) continue;
        const mask = callParts(value);
        const maker = mask ? this.imports.canonical(dottedName(mask.callee) ?? '') : undefined;
        if (mask && (maker === 'flax.linen.make_causal_mask' || maker === 'flax.nnx.make_causal_mask') && mask.keywords.size === 0 && mask.positional.length === 1) causal = true;
        else readable = false;
      } else if (nnx && name === 'decode') {
        const v = evaluate(value, frame.scope);
        if (v === false) decodeFalse = true;
        else if (v !== null) readable = false;
      } else if (nnx && name === 'sow_weights') {
        if (evaluate(value, frame.scope) !== false) readable = false;
      } else if (nnx && name === 'is_causal') {
        // dot_product_attention's tril(ones(T, S)) mask (Flax 0.12's nnx call keyword).
        const flag = evaluate(value, frame.scope);
        if (flag === true) causal = true;
        else if (flag !== false) readable = false;
      } else if (nnx && (name === 'out_sharding' || name === 'qkv_sharding')) {
        continue;
      } else if (name !== 'deterministic' && name !== (nnx ? 'rngs' : 'dropout_rng')) readable = false;
    }
    if (nnx && !decodeFalse) readable = false;
    const inputs = values.flatMap(tensorsOf);
    const x = inputs[0];
    if (!x) return undefined;
    const shapeWidth = x.shape?.[x.shape.length - 1];
    // nnx states its input width; a traced width that differs (or none at all) is not the same model.
    const d = features.inFeatures !== undefined ? (shapeWidth === features.inFeatures ? shapeWidth : undefined) : shapeWidth;
    const qkv = features.qkvFeatures ?? d;
    const outWidth = features.outFeatures ?? d;
    if (!readable || values.some((v) => v?.t !== 'tensor' || v.tensor !== x) || module.unreadable || module.heads === undefined
      || d === undefined || !Number.isInteger(d) || d < 1 || qkv === undefined || outWidth === undefined || qkv % module.heads !== 0) {
      return { t: 'tensor', tensor: trace.merge(inputs, undefined) };
    }
    const geometry = (fanIn: number, fanOut: number) => () => ({
      fans: { fanIn, fanOut }, frameworkFans: { fanIn, fanOut }, receptiveField: 1, strideProduct: 1, outShape: [...x.shape!.slice(0, -1), fanOut],
    });
    const [q, k, v, o] = module.projections;
    const projections = [{ ...q, geometry: geometry(d, qkv) }, { ...k, geometry: geometry(d, qkv) }, { ...v, geometry: geometry(d, qkv) }, { ...o, geometry: geometry(qkv, outWidth) }] as const;
    const out = this.attend(projections, module.heads, qkv / module.heads, spanOf(module.call), x, causal, frame);
    return { t: 'tensor', tensor: out ?? trace.opaque(x) };
  }

  /**
   * nn.TransformerDecoderLayer / nn.TransformerDecoder called as `(tgt, memory, tgt_mask=…,
   * memory_mask=None, …)`, and nn.Transformer as `(src, tgt, src_mask=…, tgt_mask=…, …)`: the
   * decoder's self-attention causal or not, no memory mask, no padding masks; the memory (or
   * src) from another input than tgt (the model's second input). Anything else is unknown.
   */
  private encoderDecoderCall(module: DecoderLayerModule | TransformerModule, call: CallParts, args: readonly RValue[], frame: Frame): RValue {
    const trace = frame.trace!;
    const context = this.attentionContext(frame);
    const keyword = (name: string) => call.keywords.get(name)?.value;
    const first = args[0] ?? (module.kind === 'transformer' ? undefined : keyword('tgt') && this.expression(keyword('tgt')!, frame));
    const second = args[1] ?? (keyword(module.kind === 'transformer' ? 'tgt' : 'memory') && this.expression(keyword(module.kind === 'transformer' ? 'tgt' : 'memory')!, frame));
    const inputs = [first, second].flatMap(tensorsOf);
    const unknown = (): RValue => (inputs.length > 0 ? { t: 'tensor', tensor: trace.merge(inputs, undefined) } : undefined);
    if (call.spread || first?.t !== 'tensor' || second?.t !== 'tensor' || !trace.separateInputs(first.tensor, second.tensor)) return unknown();
    // Masks in PyTorch's order after the two tensors; each None/absent or causal where causal is read.
    const masks = module.kind === 'transformer'
      ? ['src_mask', 'tgt_mask', 'memory_mask', 'src_key_padding_mask', 'tgt_key_padding_mask', 'memory_key_padding_mask']
      : ['tgt_mask', 'memory_mask', 'tgt_key_padding_mask', 'memory_key_padding_mask'];
    const causalAllowed = new Set(['src_mask', 'tgt_mask']);
    const causal = new Set<string>();
    for (const [i, name] of masks.entries()) {
      const node = keyword(name) ?? call.positional[2 + i];
      if (!node || evaluate(node, frame.scope) === null) continue;
      if (causalAllowed.has(name) && isCausalMaskNode(node, context)) causal.add(name);
      else return unknown();
    }
    for (const [name] of call.keywords) {
      if (!masks.includes(name) && !['tgt', 'memory', 'src'].includes(name) && evaluate(call.keywords.get(name)!.value, frame.scope) !== false) return unknown();
    }
    if (module.kind === 'transformer') {
      const memory = this.encoderLayers(module.encoder, first.tensor, causal.has('src_mask'), frame);
      return { t: 'tensor', tensor: this.decoderLayers(module.decoder, second.tensor, memory, causal.has('tgt_mask'), frame) };
    }
    return { t: 'tensor', tensor: this.decoderLayers(module, first.tensor, second.tensor, causal.has('tgt_mask'), frame) };
  }

  /**
   * nn.TransformerDecoderLayer's forward (post-LN unless norm_first), once per copy of
   * nn.TransformerDecoder: x = norm1(x + sa(x)), norm2(x + mha(x, memory)), norm3(x + ff(x));
   * norm_first: x + sa(norm1(x)), x + mha(norm2(x), memory), x + ff(norm3(x)). The memory is not
   * normalised by the layer. Copies that still share their weights (a bare nn.TransformerDecoder)
   * are traced and their layers judged; the network is then not simulated (copiedBlocks.ts, IW404).
   */
  private decoderLayers(module: DecoderLayerModule, input: Tensor, memory: Tensor, causal: boolean, frame: Frame): Tensor {
    const trace = frame.trace!;
    const span = spanOf(module.call);
    const dropout = (t: Tensor): Tensor => (module.dropout === undefined ? trace.opaque(t)
      : module.dropout === 0 ? t : trace.dropout(t, { op: 'dropout', rate: module.dropout, alpha: false, span, kindSpan: span }));
    if (module.normFirst === undefined || module.dropout === undefined || !(module.dropout >= 0 && module.dropout < 1)) return trace.merge([input, memory], undefined);
    let x = input;
    for (let copy = 0; copy < module.copies; copy++) {
      const selfAttend = (h: Tensor) => {
        const a = this.selfAttention(module.selfAttention, h, causal, frame);
        return a ? dropout(a) : trace.opaque(h);
      };
      const crossAttend = (h: Tensor) => {
        const a = this.crossAttention(module.crossAttention, h, memory, frame);
        return a ? dropout(a) : trace.merge([h, memory], undefined);
      };
      const feedForward = (h: Tensor) => {
        const apply = (m: ModuleValue, t: Tensor): Tensor => {
          const r = this.applyModule(m, { t: 'tensor', tensor: t }, frame, undefined);
          return r?.t === 'tensor' ? r.tensor : trace.opaque(t);
        };
        return dropout(apply(module.linear2, dropout(apply(module.activation, apply(module.linear1, h)))));
      };
      for (const branch of [selfAttend, crossAttend, feedForward]) {
        x = module.normFirst ? trace.add(x, branch(trace.norm(x, 'layernorm', module.layerNormEpsilon, span)), span)
          : trace.norm(trace.add(x, branch(x), span), 'layernorm', module.layerNormEpsilon, span);
      }
    }
    if (module.finalNorm) {
      const r = this.applyModule(module.finalNorm, { t: 'tensor', tensor: x }, frame, undefined);
      x = r?.t === 'tensor' ? r.tensor : trace.opaque(x);
    }
    return x;
  }

  /** nn.TransformerDecoder(decoder_layer, num_layers, norm=None). */
  private decoderStack(call: CallParts, frame: Frame): RValue {
    const opaque: RValue = { t: 'module', module: { kind: 'opaque', className: 'torch.nn.TransformerDecoder', record: classRecord('torch.nn.TransformerDecoder') } };
    const layerNode = argument(call, 0, 'decoder_layer');
    const layer = layerNode ? this.expression(layerNode, frame) : undefined;
    const layers = evaluateCount(argument(call, 1, 'num_layers'), frame.scope);
    const normNode = argument(call, 2, 'norm');
    const norm = normNode && evaluate(normNode, frame.scope) !== null ? this.expression(normNode, frame) : undefined;
    if (layer?.t !== 'module' || layer.module.kind !== 'decoderLayer' || (normNode && evaluate(normNode, frame.scope) !== null && norm?.t !== 'module')) return opaque;
    const stack = decoderStack(layer.module, layers, norm?.t === 'module' ? norm.module : undefined, call);
    return stack ? { t: 'module', module: stack } : opaque;
  }

  /** nn.MultiheadAttention's cross-attention: queries from x, keys and values from `memory`; undefined when unreadable. */
  private crossAttention(module: AttentionModule, x: Tensor, memory: Tensor, frame: Frame): Tensor | undefined {
    if (module.unreadable || module.heads === undefined || module.embedDim === undefined) return undefined;
    return this.attend(module.projections, module.heads, module.embedDim / module.heads, spanOf(module.call), x, false, frame, memory);
  }

  /** The Keras fan rule, decided once per analysis; a unit that uses it counts the pin files as read. */
  private kerasDecision: { readonly decision: KerasFanDecision; readonly reads: readonly ModuleDependency[] } | undefined;

  private kerasFans(): KerasFanDecision {
    if (this.kerasDecision) {
      this.reads?.note(this.kerasDecision.reads);
      return this.kerasDecision.decision;
    }
    const resolver = this.reads;
    const stop = resolver?.record();
    const decision = kerasFanDecision(this.kerasVersion, () => (resolver ? decisionOfPinnedFiles(resolver.projectFolders(), (path) => resolver.read(path)?.text) : undefined));
    this.kerasDecision = { decision, reads: stop?.() ?? [] };
    return decision;
  }

  /**
   * A Keras `MultiHeadAttention` called for self-attention: `mha(x, x)`, `mha(x, x, x)`,
   * `mha(query=x, value=x)`, with `attention_mask=None` and `use_causal_mask=` a constant;
   * `training=` is allowed. Its widths come from x's features, its kernels' fans from the Keras
   * version (frameworks/kerasAttention.ts). Anything else makes the value unknown.
   */
  private kerasAttentionCall(module: AttentionModule, call: CallParts, args: readonly RValue[], frame: Frame): RValue {
    const trace = frame.trace!;
    const values: RValue[] = [...args];
    // MultiHeadAttention's call(query, value, key=None, …): the three by role.
    const roles: (RValue | undefined)[] = [args[0], args[1], args[2]];
    let causal = false;
    let readable = !call.spread && call.positional.length <= 3;
    for (const [name, { value }] of call.keywords) {
      if (name === 'query' || name === 'value' || name === 'key') {
        const read = this.expression(value, frame);
        values.push(read);
        roles[name === 'query' ? 0 : name === 'value' ? 1 : 2] = read;
      } else if (name === 'use_causal_mask') {
        const flag = evaluate(value, frame.scope);
        if (typeof flag === 'boolean') causal = flag;
        else readable = false;
      } else if (name === 'attention_mask' || name === 'query_mask' || name === 'value_mask' || name === 'key_mask') {
        // None, or a mask of whole tokens, which removes nothing from a sequence of real tokens (kerasTokens.ts).
        const mask = this.expression(value, frame);
        if (!(mask?.t === 'tensor' ? mask.tensor.tokenMask === true : evaluate(value, frame.scope) === null)) readable = false;
      } else if (name === 'return_attention_scores') {
        const v = evaluate(value, frame.scope);
        if (!(v === null || v === false)) readable = false;
      } else if (name !== 'training') readable = false;
    }
    const inputs = values.flatMap(tensorsOf);
    const x = roles[0]?.t === 'tensor' ? roles[0].tensor : inputs[0];
    if (!x) return undefined;
    const d = x.shape?.[x.shape.length - 1];
    const spec = module.keras!;
    const out = spec.outputWidth ?? d;
    // Cross-attention (an encoder–decoder's `query=x, value=source, key=source`): keys and values
    // read one other tensor of the query's width, the memory (Trace.crossAttentionMemory decides
    // it is a stream of its own: from the model's other keras.Input).
    const value = roles[1]?.t === 'tensor' ? roles[1].tensor : undefined;
    const key = roles[2] === undefined ? value : roles[2]?.t === 'tensor' ? roles[2].tensor : undefined;
    const memory = value && value !== x && key === value && value.shape?.[value.shape.length - 1] === d ? value : undefined;
    const self = values.every((v) => v?.t === 'tensor' && v.tensor === x);
    if (!readable || values.length < 2 || !(self || memory) || module.unreadable || module.heads === undefined
      || d === undefined || !Number.isInteger(d) || d < 1 || out === undefined) {
      return { t: 'tensor', tensor: trace.merge(inputs, undefined) };
    }
    const heads = module.heads;
    const decision = this.kerasFans();
    const trueFans = kerasAttentionFans('einsum-axes', d, heads, spec.keyDim, out);
    const keras = decision.rule ? kerasAttentionFans(decision.rule, d, heads, spec.keyDim, out) : undefined;
    const projection = (layer: WeightModule, fans: { fanIn: number; fanOut: number }, frameworkFans: { fanIn: number; fanOut: number } | undefined): WeightModule => ({
      ...layer,
      init: kerasAttentionInit(layer.init, decision),
      fixes: kerasAttentionAdvice(layer.fixes, decision),
      // A fan-scaled init of an undetermined version has no semantics: the framework's fans are then those of the einsum (never used).
      geometry: () => ({ fans, frameworkFans: frameworkFans ?? fans, receptiveField: 1, strideProduct: 1, outShape: [...x.shape!.slice(0, -1), fans.fanOut] }),
    });
    const [q, k, v, o] = module.projections;
    const projections = [
      projection(q, trueFans.qkv, keras?.qkv), projection(k, trueFans.qkv, keras?.qkv), projection(v, trueFans.qkv, keras?.qkv), projection(o, trueFans.output, keras?.output),
    ] as const;
    const result = this.attend(projections, heads, spec.keyDim, spanOf(module.call), x, causal, frame, memory);
    return { t: 'tensor', tensor: result ?? (memory ? trace.merge(inputs, undefined) : trace.opaque(x)) };
  }

  /**
   * Keras masks made on each trace so far (an Embedding with mask_zero, a layer's compute_mask),
   * and the values that carry a per-token one for certain (their direct outputs). Before any is
   * made, no value carries a mask; after, only those values are known to (kerasTokens.ts).
   */
  private readonly kerasMasks = new WeakMap<Trace, WeakSet<Tensor>>();

  private kerasMaskMade(trace: Trace, carrier: Tensor | undefined): void {
    let carriers = this.kerasMasks.get(trace);
    if (!carriers) this.kerasMasks.set(trace, carriers = new WeakSet());
    if (carrier) carriers.add(carrier);
  }

  /** A subclassed Keras layer whose class defines compute_mask makes a mask: per token for certain when it returns a call. */
  private noteComputeMask(instance: InstanceModule, out: RValue, trace: Trace): void {
    const cls = this.classOf(instance);
    const found = cls ? findMethod(cls, 'compute_mask') : undefined;
    if (found === undefined) return;
    this.kerasMaskMade(trace, typeof found === 'object' && computeMaskReturnsMask(found.definition) && out?.t === 'tensor' ? out.tensor : undefined);
  }

  /** A subclassed Keras layer's call: its arguments evaluated once, its input positional or by its call's first parameter's name. */
  private kerasLayerCall(instance: InstanceModule, call: CallParts, args: readonly RValue[], frame: Frame): { input: RValue; bound: KerasLayerArguments } | undefined {
    const cls = this.classOf(instance);
    const method = cls ? forwardMethod(cls) : undefined;
    if (!method) return undefined;
    const keywords = new Map<string, RValue>();
    for (const [key, { value }] of call.keywords) keywords.set(key, this.expression(value, frame));
    const first = parameterNames(method).positional[0];
    const input = args[0] ?? (first !== undefined ? keywords.get(first) : undefined);
    return { input, bound: { call, args, keywords, callerScope: frame.scope } };
  }

  /**
   * The arguments of a subclassed Keras layer's call, and the `mask` Keras passes itself when
   * the call does not: None before any mask was made on the trace (settled where the method
   * assigns it only under `if mask is not None:`), a per-token mask when the input is the
   * direct output of a layer that made one, else unknown.
   */
  private bindKerasArguments(method: Node, firstName: string, frame: Frame, x: Tensor, bound: KerasLayerArguments | undefined): void {
    const names = parameterNames(method);
    const given = new Set<string>();
    if (bound) {
      for (const [name, value] of argumentValues(names, bound.call, bound.args, bound.keywords)) {
        given.add(name);
        if (name !== firstName && value !== undefined && !frame.env.has(name)) frame.env.set(name, value);
      }
    }
    if (!names.named.has('mask') || given.has('mask') || firstName === 'mask') return;
    if (bound?.call.spread) {
      frame.scope.bindValue('mask', undefined);
      frame.env.set('mask', undefined);
      return;
    }
    const carriers = this.kerasMasks.get(frame.trace!);
    if (!carriers) {
      if (assignedOnlyWhenNotNone(method, 'mask')) frame.scope.settle('mask', null);
    } else if (carriers.has(x)) {
      frame.scope.bindValue('mask', undefined);
      frame.env.set('mask', { t: 'tensor', tensor: frame.trace!.tokenMask() });
    } else {
      frame.scope.bindValue('mask', undefined);
      frame.env.set('mask', undefined);
    }
  }

  /** An nn.MultiheadAttention over x: its four projections and the AttentionOp; undefined when unreadable. */
  private selfAttention(module: AttentionModule, x: Tensor, causal: boolean, frame: Frame): Tensor | undefined {
    if (module.unreadable || module.heads === undefined || module.embedDim === undefined) return undefined;
    return this.attend(module.projections, module.heads, module.embedDim / module.heads, spanOf(module.call), x, causal, frame);
  }

  /**
   * Self-attention over x with these projections (query, key, value, output), 1/√headDim on the
   * logits; with `memory`, cross-attention: keys and values from the memory.
   */
  private attend(projections: readonly [WeightModule, WeightModule, WeightModule, WeightModule], heads: number, headDim: number, span: Span, x: Tensor, causal: boolean, frame: Frame, memory?: Tensor): Tensor | undefined {
    const trace = frame.trace!;
    const [q, k, v, out] = projections;
    const parts = [q, k, v].map((p, i) => {
      const r = this.applyModule(p, { t: 'tensor', tensor: i > 0 && memory ? memory : x }, frame, undefined);
      const part = r?.t === 'tensor' ? trace.projectionOf(r.tensor) : undefined;
      return part && { ...part, layout: 'htd' as const, heads, headDim };
    });
    if (parts.some((p) => p === undefined)) return undefined;
    const [qp, kp, vp] = parts as [ProjectionPart, ProjectionPart, ProjectionPart];
    if (memory && !trace.crossAttentionMemory(qp.source, kp.source, kp.broken, span, undefined)) return undefined;
    const core = { q: qp, k: kp, scale: 1 / Math.sqrt(headDim), scaleSpans: [], causal, span, ...(memory ? { cross: true as const } : {}) };
    const mixed = trace.attentionValue([qp, kp, vp], { kind: 'mixed', core, v: vp, layout: 'tc' });
    const result = this.applyModule(out, { t: 'tensor', tensor: mixed }, frame, undefined);
    return result?.t === 'tensor' && result.tensor.chain?.op.op === 'attention' ? result.tensor : undefined;
  }

  /** nn.TransformerEncoderLayer's forward (post-LN unless norm_first), once per copy of nn.TransformerEncoder. */
  private encoderLayers(module: EncoderLayerModule, input: Tensor, causal: boolean, frame: Frame): Tensor {
    const trace = frame.trace!;
    const span = spanOf(module.call);
    const dropout = (t: Tensor): Tensor => (module.dropout === undefined ? trace.opaque(t)
      : module.dropout === 0 ? t : trace.dropout(t, { op: 'dropout', rate: module.dropout, alpha: false, span, kindSpan: span }));
    if (module.normFirst === undefined || module.dropout === undefined || !(module.dropout >= 0 && module.dropout < 1)) return trace.opaque(input);
    let x = input;
    for (let copy = 0; copy < module.copies; copy++) {
      const attend = (h: Tensor) => {
        const a = this.selfAttention(module.attention, h, causal, frame);
        return a ? dropout(a) : trace.opaque(h);
      };
      const feedForward = (h: Tensor) => {
        const apply = (m: ModuleValue, t: Tensor): Tensor => {
          const r = this.applyModule(m, { t: 'tensor', tensor: t }, frame, undefined);
          return r?.t === 'tensor' ? r.tensor : trace.opaque(t);
        };
        return dropout(apply(module.linear2, dropout(apply(module.activation, apply(module.linear1, h)))));
      };
      if (module.normFirst) {
        x = trace.add(x, attend(trace.norm(x, 'layernorm', module.layerNormEpsilon, span)), span);
        x = trace.add(x, feedForward(trace.norm(x, 'layernorm', module.layerNormEpsilon, span)), span);
      } else {
        x = trace.norm(trace.add(x, attend(x), span), 'layernorm', module.layerNormEpsilon, span);
        x = trace.norm(trace.add(x, feedForward(x), span), 'layernorm', module.layerNormEpsilon, span);
      }
    }
    if (module.finalNorm) {
      const r = this.applyModule(module.finalNorm, { t: 'tensor', tensor: x }, frame, undefined);
      x = r?.t === 'tensor' ? r.tensor : trace.opaque(x);
    }
    return x;
  }

  /** nn.TransformerEncoder(encoder_layer, num_layers, norm=None). */
  private encoderStack(call: CallParts, frame: Frame): RValue {
    const layerNode = argument(call, 0, 'encoder_layer');
    const layer = layerNode ? this.expression(layerNode, frame) : undefined;
    const layers = evaluateCount(argument(call, 1, 'num_layers'), frame.scope);
    const normNode = argument(call, 2, 'norm');
    const norm = normNode && evaluate(normNode, frame.scope) !== null ? this.expression(normNode, frame) : undefined;
    if (layer?.t !== 'module' || layer.module.kind !== 'encoderLayer' || (normNode && evaluate(normNode, frame.scope) !== null && norm?.t !== 'module')) {
      return { t: 'module', module: { kind: 'opaque', className: 'torch.nn.TransformerEncoder', record: classRecord('torch.nn.TransformerEncoder') } };
    }
    const stack = encoderStack(layer.module, layers, norm?.t === 'module' ? norm.module : undefined, call);
    return { t: 'module', module: stack ?? { kind: 'opaque', className: 'torch.nn.TransformerEncoder', record: classRecord('torch.nn.TransformerEncoder') } };
  }

  private mapLambda(lambda: Node, iterable: Node, frame: Frame): RValue | 'not-handled' {
    const params = (lambda.childForFieldName('parameters')?.namedChildren ?? []).filter((p) => p.type !== 'comment');
    const body = lambda.childForFieldName('body');
    if (params.length !== 1 || params[0]!.type !== 'identifier' || !body) return 'not-handled';
    const items = this.expression(iterable, frame);
    if (items?.t !== 'list' || items.items.length > MAX_UNROLL) return items === undefined ? undefined : 'not-handled';
    const name = params[0]!.text;
    return {
      t: 'list',
      items: items.items.map((item) => {
        const scope = new Scope(frame.scope);
        scope.bindValue(name, undefined);
        const inner = frame.child(scope);
        inner.env.set(name, item);
        return this.expression(body, inner);
      }),
    };
  }

  /** What the attention reading (attentionTrace.ts) needs from a frame. */
  private attentionContext(frame: Frame): AttentionContext {
    return {
      trace: frame.trace!, scope: frame.scope, lookup: (name) => frame.env.get(name),
      selfDefinition: frame.self?.definition, canonical: (written) => this.imports.canonical(written), fixes: this.attentionFixes,
    };
  }

  /** IW401's edits are written in the document only, with its spelling of math.sqrt (attentionFixes.ts). */
  private get attentionFixes(): AttentionFixEnvironment {
    return { source: this.main.source, sqrt: this.main.imports.spellingOf('math.sqrt') };
  }

  // ── modules ────────────────────────────────────────────────────────────

  /** The flag of a PyTorch constructor's trailing init code when this call leaves it unknown (initUnderUnknownFlag.ts). */
  private initFlagLeftUnknown(cls: ClassInfo, call: CallParts, frame: Frame): string | undefined {
    if (cls.framework !== 'pytorch' || !call.spread) return undefined;
    const init = findMethod(cls, '__init__');
    return typeof init === 'object' ? initFlagLeftUnknown(init.definition, call, frame.scope, (node) => this.uncertain.holdsInitCode(node)) : undefined;
  }

  /** Runs a module class's constructor with the call's arguments: its layers, their init, its constants. */
  instantiate(cls: ClassInfo, call: CallParts | undefined, frame: Frame | undefined): InstanceModule {
    const home = this.contextOf(cls.definition);
    if (frame?.self && home === this.main) {
      this.nested.add(cls.name);
      this.unitNested.push(cls.name);
    }
    const scope = new Scope(home.moduleScope);
    const instance: InstanceModule = {
      kind: 'instance', className: cls.name, definition: cls.definition, framework: cls.framework,
      attributes: new Map(), scope, record: classRecord(cls.name),
    };
    // Flax/dataclass fields: `features: int = 128` at class level, overridable by keyword
    // (a base class's fields first, as dataclasses order them).
    const fields: Node[] = [];
    for (const owner of fieldOrder(cls)) {
      const ownerHome = this.contextOf(owner.definition);
      for (const member of bodyOf(owner.definition)) {
        const expr = member.type === 'expression_statement' ? member.namedChild(0) : undefined;
        if (expr?.type !== 'assignment') continue;
        fields.push(member);
        const left = expr.childForFieldName('left');
        const right = expr.childForFieldName('right');
        if (left?.type === 'identifier' && right) scope.bindExpression(`self.${left.text}`, right, ownerHome.moduleScope);
        else if (left?.type === 'identifier') {
          const type = expr.childForFieldName('type');
          scope.bindValue(`self.${left.text}`, type ? defaultConfig(type, ownerHome.moduleScope) : undefined);
        }
      }
    }
    const init = findMethod(cls, '__init__');
    const setup = cls.framework === 'flax' && typeof init !== 'object' ? findMethod(cls, 'setup') : undefined;
    const ctor = typeof init === 'object' ? init.definition : typeof setup === 'object' ? setup.definition : undefined;
    const depth = (frame?.depth ?? 0) + 1;
    // No constructor of its own nor inherited: dataclass-style construction. One a base
    // InitWise cannot read may define is unknown: its arguments are not bound to fields.
    // Flax modules are dataclasses whatever their bases.
    const dataclass = init === undefined || (init === 'unknown' && cls.framework === 'flax');
    if (dataclass && call && frame) {
      // Dataclass-style construction (Flax linen): keywords and positions override the fields.
      for (const [key, { value }] of call.keywords) scope.rebind(`self.${key}`, value, frame.scope);
      call.positional.forEach((p, i) => {
        const left = fields[i]?.namedChild(0)?.childForFieldName('left');
        if (left?.type === 'identifier') scope.rebind(`self.${left.text}`, p, frame.scope);
      });
    }
    // Attributes assigned at several sites (ResNet's `self.in_planes`) are followed in execution order from here on.
    const followed = followedAttributes(lookupOrder(cls).classes.map((c) => c.definition));
    scope.followInOrder(followed.followed);
    if (ctor) this.construct(ctor, instance, dataclass ? undefined : call, frame, depth);
    // A method that may run again after construction (`_make_layer`) leaves what it assigns unknown to later readers (forward).
    for (const name of followed.outsideConstructor) scope.assignFollowed(name, undefined, scope);
    if (cls.framework === 'pytorch') this.uncalledInitMethods(cls, instance, depth);
    if (home === this.main && this.ctx === this.main) this.noteImportedBases(cls, instance);
    return instance;
  }

  /**
   * A base class's method called on the instance under construction or in its forward
   * pass: `super().__init__(...)`, `super(Net, self).__init__(...)`, `super().forward(x)`,
   * `BaseNet.__init__(self, ...)`. The method runs with the same `self`. A method of a base
   * InitWise cannot read has unknown effects: the layers init code there could set are
   * unknown (uncertainCode.ts); its value is unknown.
   */
  private baseMethodCall(method: string, objectNode: Node, call: CallParts, frame: Frame): RValue | 'not-handled' {
    const self = frame.self!;
    const instanceClass = this.classOf(self);
    if (!instanceClass) return 'not-handled';
    let found: ReturnType<typeof findMethod>;
    let parts = call;
    /** The class `super()` is written in (or names). */
    let written: ClassInfo | undefined;
    if (objectNode.type === 'call' && dottedName(objectNode.childForFieldName('function') ?? objectNode) === 'super') {
      const superArgs = callParts(objectNode)?.positional ?? [];
      const named = superArgs[0]?.type === 'identifier' ? this.classNamed(superArgs[0].text) : undefined;
      written = named ?? enclosingClass(lookupOrder(instanceClass).classes, objectNode);
      if (!written || (superArgs.length > 0 && !named)) return this.unknownBaseCall(method, call, frame);
      found = findMethod(instanceClass, method, written);
    } else if (objectNode.type === 'identifier' && call.positional[0]?.type === 'identifier' && call.positional[0].text === 'self') {
      const base = this.classNamed(objectNode.text);
      if (!base || base.definition === instanceClass.definition) return 'not-handled';
      found = findMethod(base, method);
      parts = { ...call, positional: call.positional.slice(1) };
    } else {
      return 'not-handled';
    }
    // The framework's own method (`nn.Module.__init__`): nothing InitWise follows.
    if (found === undefined) return undefined;
    if (found === 'unknown' && method === '__init__' && this.libraryBaseInit(written, parts, frame)) return undefined;
    if (found === 'unknown') return this.unknownBaseCall(method, call, frame);
    if (this.tooDeep(frame.depth, call.node)) return undefined;
    if (method === '__init__') {
      this.construct(found.definition, self, parts, frame, frame.depth + 1);
      return undefined;
    }
    const args = parts.positional.map((p) => (p.type === 'list_splat' ? undefined : this.expression(p, frame)));
    const keywords = new Map<string, RValue>();
    for (const [key, { value }] of parts.keywords) keywords.set(key, this.expression(value, frame));
    return this.callFunction({ t: 'function', definition: found.definition, scope: this.selfScope(self, found.definition), self }, parts, args, keywords, frame);
  }

  /**
   * `super().__init__(d_model=ninp, …)` in a class whose one base is a framework module InitWise
   * builds from its arguments (modules.ts LIBRARY_MODULE_BASES): the module's parts become the
   * instance's attributes as the base's constructor sets them (nn.Transformer: `encoder` and
   * `decoder`, each weight already xavier_uniform_ as its `_reset_parameters` leaves them), so
   * the subclass's own assignments replace or use them. False when the base or its arguments
   * are not read: the call stays unknown.
   */
  private libraryBaseInit(written: ClassInfo | undefined, call: CallParts, frame: Frame): boolean {
    const base = written?.bases.length === 1 ? written.bases[0] : undefined;
    if (typeof base !== 'object' || !('library' in base) || !frame.self) return false;
    const module = attentionLayerModule(base.library, call, this.frameCatalog(frame));
    if (module?.kind !== 'transformer') return false;
    frame.self.attributes.set('encoder', module.encoder);
    frame.self.attributes.set('decoder', module.decoder);
    return true;
  }

  /** A base method InitWise cannot read: any init code in it may set the instance's layers; its result is unknown. */
  private unknownBaseCall(method: string, call: CallParts, frame: Frame): RValue {
    if (!FORWARD_METHODS.has(method)) this.uncertain.unknownInitCode(call.node, frame);
    const tensors = call.positional.flatMap((p) => tensorsOf(this.expression(p, frame)));
    return tensors.length > 0 && frame.trace ? { t: 'tensor', tensor: frame.trace.merge(tensors, undefined) } : undefined;
  }

  /**
   * `class Net(BaseNet)` with BaseNet (or a base of it) from another module of the
   * workspace: the base as written is where the document reached that module (hover, and
   * the "reached from model Net" of the findings there), like a call of an imported class.
   */
  private noteImportedBases(cls: ClassInfo, instance: InstanceModule): void {
    cls.bases.forEach((base, i) => {
      if (!(base instanceof ClassInfo)) return;
      const imported = lookupOrder(base).classes.find((c) => c.definition.startIndex >= MODULE_OFFSET_BASE);
      const node = cls.baseNodes[i];
      if (imported && node) this.importedCalls.set(node, { module: this.contextOf(imported.definition), name: imported.name, value: instance });
    });
  }

  /**
   * Runs a constructor (the class's own `__init__`, an inherited one, or a base's through
   * `super().__init__(...)`) on `instance`, with the call's arguments bound to its parameters.
   */
  private construct(ctor: Node, instance: InstanceModule, call: CallParts | undefined, frame: Frame | undefined, depth: number): void {
    const home = this.contextOf(ctor);
    const ctorScope = new Scope(this.selfScope(instance, ctor));
    bindParameters(ctor, ctorScope, home.moduleScope);
    if (call && frame) bindArgumentExpressions(ctor, call, ctorScope, frame.scope);
    ctorScope.followLocals(reassignedLocals(ctor));
    bindAssignments(bodyOf(ctor), ctorScope);
    // `self.X = expr` constants are read by every method: bind them on the instance scope.
    for (const statement of bodyOf(ctor)) {
      const expr = statement.type === 'expression_statement' ? statement.namedChild(0) : undefined;
      if (expr?.type !== 'assignment') continue;
      const name = dottedName(expr.childForFieldName('left') ?? expr);
      const right = expr.childForFieldName('right');
      if (name?.startsWith('self.') && right) instance.scope.bindExpression(name, right, ctorScope);
    }
    const ctorFrame = new Frame(ctorScope, instance, undefined, false, depth);
    for (const [name, module] of this.moduleArguments(ctor, call, frame, depth, home)) ctorFrame.env.set(name, module);
    this.run(bodyOf(ctor), ctorFrame, undefined);
  }

  /** The scope a method of the instance runs in: the instance's, bridged to the method's own module when a base class of another module wrote it. */
  private selfScope(instance: InstanceModule, method: Node): Scope {
    const home = this.contextOf(method);
    return home === this.contextOf(instance.definition) ? instance.scope : new InheritedScope(instance.scope, home.moduleScope);
  }

  /** Init methods of the class (own or inherited) that nothing in their module calls: the layers they set are unknown (uncertainCode.ts). */
  private uncalledInitMethods(cls: ClassInfo, instance: InstanceModule, depth: number): void {
    const seen = new Set<string>();
    const owners = lookupOrder(cls).classes;
    const sources = [...new Set(owners.map((owner) => this.contextOf(owner.definition).source))];
    for (const owner of owners) {
      for (const statement of bodyOf(owner.definition)) {
        const def = definitionOf(statement);
        const name = def.type === 'function_definition' ? def.childForFieldName('name')?.text : undefined;
        if (name === undefined || seen.has(name)) continue;
        seen.add(name);
        // The frame is made only for a method that holds init code (most do not).
        this.uncertain.uncalledInitMethod(def, instance, () => new Frame(new Scope(this.selfScope(instance, def)), instance, undefined, false, depth), sources);
      }
    }
  }

  /** The imports of the module that wrote `node`. */
  importsOf(node: Node): Imports {
    return this.contextOf(node).imports;
  }

  /** `self.name` (or `other.name`) as a method of the instance's class, its own or inherited. */
  private methodValue(instance: InstanceModule, name: string): RValue {
    const cls = this.classOf(instance);
    const found = cls ? findMethod(cls, name) : undefined;
    if (typeof found !== 'object') return undefined;
    return { t: 'function', definition: found.definition, scope: this.selfScope(instance, found.definition), self: instance };
  }

  /** True when the instance's class has (or a base InitWise cannot read may have) a method `name`. */
  hasMethod(instance: InstanceModule, name: string): boolean {
    const cls = this.classOf(instance);
    return cls !== undefined && mayHaveMethod(cls, name);
  }

  /** The method `name` of the instance's class as uncertainCode.ts asks for it: its definition, 'unknown' (a base it cannot read may define it), or undefined. */
  methodOf(instance: InstanceModule, name: string): Node | 'unknown' | undefined {
    const cls = this.classOf(instance);
    const found = cls ? findMethod(cls, name) : undefined;
    return typeof found === 'object' ? found.definition : found;
  }

  /**
   * `nn.ModuleDict({"wte": nn.Embedding(...), "h": nn.ModuleList(...)})` or
   * `nn.ModuleDict(dict(wte=..., h=...))` (nanoGPT): an instance whose attributes are its
   * entries, so `self.transformer.h`, `self.heads["cls"]`, `.items()`/`.values()` loops,
   * `modules()` and `apply(fn)` reach them. Anything else (a variable, a comprehension) is opaque.
   */
  private moduleDict(call: CallParts, frame: Frame, record: ReturnType<typeof classRecord>): RValue {
    const arg = call.positional[0];
    const entries: [string, Node][] = [];
    if (arg?.type === 'dictionary') {
      for (const pair of arg.namedChildren) {
        if (pair.type !== 'pair') continue;
        const key = pair.childForFieldName('key');
        const value = pair.childForFieldName('value');
        const name = key ? stringValue(key) : undefined;
        if (name === undefined || !value) return { t: 'module', module: { kind: 'opaque', className: 'torch.nn.ModuleDict', record } };
        entries.push([name, value]);
      }
    } else if (arg?.type === 'call' && dottedName(callParts(arg)?.callee ?? arg) === 'dict' && callParts(arg)?.positional.length === 0) {
      for (const [name, { value }] of callParts(arg)!.keywords) entries.push([name, value]);
    } else if (arg) {
      return { t: 'module', module: { kind: 'opaque', className: 'torch.nn.ModuleDict', record } };
    }
    const attributes = new Map<string, ModuleValue>();
    for (const [name, node] of entries) {
      const value = this.expression(node, frame);
      attributes.set(name, value?.t === 'module' ? value.module : { kind: 'opaque', className: 'unknown', record: classRecord('unknown') });
    }
    return {
      t: 'module',
      module: { kind: 'instance', className: 'torch.nn.ModuleDict', definition: call.node, framework: 'pytorch', attributes, scope: new Scope(this.contextOf(call.node).moduleScope), record },
    };
  }

  /**
   * The modules a constructor receives: arguments built or held by the caller
   * (`Block(64, act=nn.Tanh())`, `Wrapper(nn.Sequential(...))`, `Block(dim, norm)`), and
   * defaults that build one (`act=nn.ReLU()`, evaluated at module level, as Python does
   * when the `def` runs). Only module values are kept: widths and other constants are read
   * through the scope (bindArgumentExpressions). With `*xs` or `**kw` in the call, a
   * parameter no keyword names may receive anything: no default is assumed for it.
   */
  private moduleArguments(ctor: Node, call: CallParts | undefined, frame: Frame | undefined, depth: number, home: ModuleContext): Map<string, RValue> {
    const out = new Map<string, RValue>();
    const parameters = parameterNames(ctor);
    const given = new Set<string>();
    if (call && frame) {
      const positional = call.positional.map((p) => (p.type === 'list_splat' || !MAY_HOLD_MODULE.has(p.type) ? undefined : this.expression(p, frame)));
      const keywords = new Map<string, RValue>();
      // forEach, not for…of: no iterator result and entry array per step (issue 16).
      call.keywords.forEach(({ value }, key) => keywords.set(key, MAY_HOLD_MODULE.has(value.type) ? this.expression(value, frame) : undefined));
      argumentValues(parameters, call, positional, keywords).forEach((value, name) => {
        given.add(name);
        if (value?.t === 'module') out.set(name, value);
      });
      call.positional.forEach((p, i) => { if (p.type !== 'list_splat' && parameters.positional[i] !== undefined) given.add(parameters.positional[i]); });
      // `**cfg` gives what its dict spells out (arguments.ts spreadKeywords), else any parameter.
      const splatted = call.spread ? spreadKeywords(call, frame.scope) : undefined;
      if (call.spread) for (const name of parameters.named) if (!splatted || splatted.has(name)) given.add(name);
    }
    const moduleFrame = new Frame(home.moduleScope, undefined, undefined, false, depth);
    const declared = ctor.childForFieldName('parameters')?.namedChildren ?? [];
    for (let i = 0; i < declared.length; i++) {
      const p = declared[i]!;
      if (p.type !== 'default_parameter' && p.type !== 'typed_default_parameter') continue;
      const name = p.childForFieldName('name')?.text;
      const value = p.childForFieldName('value');
      if (name === undefined || !value || given.has(name) || value.type !== 'call') continue;
      const r = this.expression(value, moduleFrame);
      if (r?.t === 'module') out.set(name, r);
    }
    return out;
  }

  /** A module applied to a tensor: its steps recorded on the trace. */
  /**
   * `second`: an instance called with two tensors of different inputs (`block(x, memory)`, the
   * decoder stream and an encoder's memory): bound to its forward's second parameter.
   */
  applyModule(module: ModuleValue, input: RValue, frame: Frame, call: CallParts | undefined, second?: Tensor, bound?: KerasLayerArguments): RValue {
    const trace = frame.trace!;
    if (input?.t !== 'tensor') {
      const tensors = tensorsOf(input);
      if (module.kind === 'pass' || tensors.length === 0) return undefined;
      if (module.className === 'keras.layers.Add' && tensors.length === 2) return { t: 'tensor', tensor: trace.add(tensors[0]!, tensors[1]!, spanOf(call?.node ?? module.record as never)) };
      return { t: 'tensor', tensor: trace.merge(tensors, undefined) };
    }
    let x = input.tensor;
    // Inside an attention only dropout, nn.Softmax over the keys and the output projection (or
    // nn.Identity in its place) follow (attentionTrace.ts).
    if (insideAttention(x)) {
      const weights = module.kind === 'activation' ? softmaxModule(x, this.spanText(module.span)) : undefined;
      if (weights) return { t: 'tensor', tensor: weights };
      const identity = module.kind === 'pass' && module.className === 'torch.nn.Identity' && x.attn?.kind === 'mixed';
      const follows = module.kind === 'dropout' || (module.kind === 'weight' && x.attn?.kind === 'mixed') || (module.kind === 'sequence' && !module.fused) || identity;
      if (!follows) x = trace.opaque(x);
    }
    switch (module.kind) {
      case 'weight': {
        const shape = x.shape;
        const g = module.geometry(shape);
        const loaded = this.isLoaded(module);
        const hook = this.initHookElsewhere;
        const init: InitUse = loaded ? { semantics: undefined, label: 'loaded from a checkpoint', explicit: false, acceptedDefault: false }
          : hook !== undefined && module.framework === 'pytorch' && !module.init.explicit
            ? { semantics: undefined, label: `PyTorch default, unless ${hook}() (defined here, applied elsewhere) sets it`, explicit: false, acceptedDefault: false }
            : initFollowingFan(module.init, g.frameworkFans, g.transposed !== undefined);
        // A PyTorch or Keras embedding looked up with token positions: a learned position table (trace.ts positionLookup).
        const lookup = x.positions && module.layerKind === 'embedding' && (module.framework === 'pytorch' || module.framework === 'keras')
          ? (draft: LayerDraft, shape: readonly number[] | undefined) => trace.positionLookup(draft, shape, positionRowsOf(module.call, g.frameworkFans, module.framework === 'keras' ? 'keras' : 'pytorch'))
          : (draft: LayerDraft, shape: readonly number[] | undefined) => trace.layer(x, draft, shape, module.fusedWithPrevious === true, module);
        const output: RValue = {
          t: 'tensor',
          tensor: lookup({
            op: 'layer', kind: module.layerKind, span: spanOf(module.call), kindSpan: module.kindSpan, fans: g.fans,
            frameworkFans: g.frameworkFans, receptiveField: g.receptiveField, strideProduct: g.strideProduct,
            ...(g.transposed ? { transposed: g.transposed } : {}),
            ...(g.conv ? { conv: g.conv } : {}),
            ...(!g.transposed && frameworkFanInIsTrue(module.className) ? { fanInIsTrue: true as const } : {}),
            ...(module.recurrent ? { recurrent: recurrentSpecOf(module.recurrent) } : {}),
            activation: module.activation, ...(loaded ? { init, fixes: module.fixes } : this.tied.resolve(module, init)), biasVariance: module.biasVariance, repeatInstance: 0,
          }, g.outShape),
        };
        if (module.kerasMask && output.t === 'tensor') this.kerasMaskMade(trace, module.kerasMask === 'token' ? output.tensor : undefined);
        // A convolution over disjoint patches: its output may become a stream's tokens (trace.ts tokensFromPatches).
        if (g.patches && output.t === 'tensor' && output.tensor.sources.length === 1) trace.patchConvolution(output.tensor.sources[0]!);
        const stated = module.layerKind === 'embedding' && module.framework === 'keras' ? this.inputTokens.get(x) : undefined;
        if (stated) trace.inputTokens(stated);
        if (x.attn?.kind === 'mixed' && output?.t === 'tensor') {
          const complete = completeAttention(x, output.tensor, trace);
          return { t: 'tensor', tensor: complete ?? trace.opaque(output.tensor) };
        }
        // PyTorch's nn.LSTM returns (output, (h_n, c_n)): the states are not followed.
        return module.recurrent?.returnsTuple ? { t: 'list', items: [output, undefined] } : output;
      }
      case 'activation':
        return { t: 'tensor', tensor: trace.activation(x, module.use, module.span) };
      case 'norm':
        return { t: 'tensor', tensor: trace.norm(x, module.normKind, module.epsilon, module.span) };
      case 'dropout':
        if (module.rate === undefined || !(module.rate >= 0 && module.rate < 1)) return { t: 'tensor', tensor: trace.opaque(x) };
        return { t: 'tensor', tensor: trace.dropout(x, { op: 'dropout', rate: module.rate, alpha: module.alpha, span: module.span, kindSpan: module.kindSpan }) };
      case 'flatten':
        return { t: 'tensor', tensor: trace.flatten(x, module.span) };
      case 'dropPath': {
        // p = 0: the identity. A form that is not the op (torchvision's mode 'batch'): what feeds
        // what is kept and the network says why it is not simulated. Otherwise the op (ir.ts
        // DropPathOp), in training mode as dropout; p not known (or its presence undecided):
        // simulated at p = 0, the lower bound of every moment it scales, and marked assumed.
        if (module.unread !== undefined) return { t: 'tensor', tensor: trace.unfollowed(x, module.unread) };
        if (module.rate === 0) return { t: 'tensor', tensor: trace.passThrough(x, x.shape) };
        const label = module.className.slice(module.className.lastIndexOf('.') + 1);
        const op: DropPathOp = { op: 'dropPath', rate: module.rate ?? 0, ...(module.rate === undefined ? { assumed: true as const } : {}), label, span: module.span };
        return { t: 'tensor', tensor: trace.dropPath(x, op) };
      }
      case 'pass': {
        // nn.Identity on the merged heads: an attention without an output projection (vit-pytorch's `project_out` false).
        if (module.className === 'torch.nn.Identity' && x.attn?.kind === 'mixed') return { t: 'tensor', tensor: completeAttention(x, undefined, trace) ?? trace.opaque(x) };
        // einops' Rearrange on a value of an attention (`nn.Sequential(nn.Linear(…), Rearrange('b n (h d)
        // -> b h n d', h=heads))`) changes its layout in a way attentionTrace.ts does not follow: unknown.
        if (module.className === 'einops.layers.torch.Rearrange' && x.attn) return { t: 'tensor', tensor: trace.opaque(x) };
        const pool = module.pool?.(x.shape);
        if (pool && module.span) return { t: 'tensor', tensor: trace.pool(x, { ...pool, span: module.span }, module.reshape(x.shape)) };
        // A PyTorch pool over a map of unknown size: not simulated (trace.ts unreadPool). Keras's and Flax's pools
        // over an unknown axis (a global pool over tokens) stay a step that keeps the scale, as before.
        if (module.pool && module.className.startsWith('torch.')) return { t: 'tensor', tensor: trace.unreadPool(x, module.reshape(x.shape), module.className.split('.').pop()!) };
        return { t: 'tensor', tensor: trace.passThrough(x, module.reshape(x.shape)) };
      }
      case 'sequence': {
        let r: RValue = input;
        for (const item of module.items) {
          // A part that returns a tuple feeds the next one all of it: merged, its consumers unknown.
          if (r?.t === 'list' && tensorsOf(r).length > 0) r = { t: 'tensor', tensor: trace.merge(tensorsOf(r), undefined) };
          if (r?.t !== 'tensor') return undefined;
          r = this.applyModule(item, r, frame, undefined);
        }
        return r;
      }
      case 'instance': {
        const out = this.forward(module, x, frame.depth + 1, trace, second, bound);
        if (module.framework === 'keras') this.noteComputeMask(module, out, trace);
        return out;
      }
      case 'list':
        return { t: 'tensor', tensor: trace.opaque(x) };
      case 'attention':
        // Called without its key and value (a Sequential, forward()): not read.
        return { t: 'list', items: [{ t: 'tensor', tensor: trace.opaque(x) }, undefined] };
      case 'encoderLayer':
        return { t: 'tensor', tensor: this.encoderLayers(module, x, false, frame) };
      case 'decoderLayer':
      case 'transformer':
        // Called without its memory (or its target): not read.
        return { t: 'tensor', tensor: trace.opaque(x) };
      case 'opaque': {
        const out = trace.opaque(x);
        return { t: 'tensor', tensor: module.outShape ? trace.passThrough(out, module.outShape) : out };
      }
    }
  }

  /**
   * Traces an instance's forward method with `x` as its input. Its second parameter is bound to
   * `second` when given; for the model itself (depth 1) to the network's second input when it is
   * named as a memory or target stream (MEMORY_PARAMETERS) and has no default: an encoder–decoder's
   * `forward(self, src, tgt)`, a decoder block's `forward(self, x, memory)`.
   */
  forward(instance: InstanceModule, x: Tensor, depth: number, trace: Trace, second?: Tensor, bound?: KerasLayerArguments): RValue {
    const cls = this.classOf(instance);
    const method = cls ? forwardMethod(cls) : undefined;
    if (!method || this.tooDeep(depth - 1, method)) return { t: 'tensor', tensor: trace.opaque(x) };
    const scope = new Scope(this.selfScope(instance, method));
    bindParameters(method, scope, this.contextOf(method).moduleScope);
    if (bound) bindArgumentExpressions(method, bound.call, scope, bound.callerScope);
    scope.followLocals(reassignedLocals(method));
    bindAssignments(bodyOf(method), scope);
    const frame = new Frame(scope, instance, trace, false, depth);
    const params = (method.childForFieldName('parameters')?.namedChildren ?? []).filter((p) => p.text !== 'self');
    const first = params[0];
    const firstName = first ? (first.type === 'identifier' ? first.text : (first.childForFieldName('name') ?? first.namedChild(0))?.text) : undefined;
    if (firstName === undefined) return { t: 'tensor', tensor: trace.opaque(x) };
    frame.env.set(firstName, { t: 'tensor', tensor: x });
    const secondParameter = params[1]?.type === 'identifier' ? params[1].text : undefined;
    if (secondParameter !== undefined && second) frame.env.set(secondParameter, { t: 'tensor', tensor: second });
    else if (secondParameter !== undefined && depth === 1 && MEMORY_PARAMETERS.has(secondParameter)) frame.env.set(secondParameter, { t: 'tensor', tensor: trace.secondInput(x.shape) });
    if (instance.framework === 'keras') this.bindKerasArguments(method, firstName, frame, x, bound);
    // Flax @nn.compact: layers are built inline, so the method is both constructor and forward.
    const outputs: Tensor[] = [];
    const returned: RValue[] = [];
    this.run(bodyOf(method), frame, outputs, returned);
    // `return mean, logvar` (the only return that ran): the tuple itself, so the caller's
    // `mean, logvar = self.encoder(x)` unpacks it and each part flows on by itself.
    const tuple = returned.length === 1 && returned[0]?.t === 'list' ? returned[0] : undefined;
    if (tuple && outputs.length > 0 && tensorsOf(tuple).length === outputs.length) return tuple;
    if (outputs.length === 1) return { t: 'tensor', tensor: outputs[0]! };
    if (outputs.length === 0) return { t: 'tensor', tensor: trace.opaque(x) };
    return { t: 'tensor', tensor: trace.merge(outputs, undefined) };
  }

  private callFunction(fn: Extract<RValue, { t: 'function' }>, call: CallParts, given: readonly RValue[], givenKeywords: ReadonlyMap<string, RValue>, frame: Frame): RValue {
    if (fn.definition.type === 'lambda') return undefined;
    const home = this.contextOf(fn.definition);
    const scope = new Scope(fn.self ? this.selfScope(fn.self, fn.definition) : home.moduleScope);
    bindParameters(fn.definition, scope, home.moduleScope);
    bindArgumentExpressions(fn.definition, call, scope, frame.scope);
    scope.followLocals(reassignedLocals(fn.definition));
    bindAssignments(bodyOf(fn.definition), scope);
    // vit-pytorch's `posemb_sincos_2d(h, w, dim)`: a fixed 2-D sin-cos table when every step is its definition (sinCos2dTables.ts).
    if (!given.some(holdsTensor) && !someValue(givenKeywords, holdsTensor)) {
      const read = sinCos2dTable(fn.definition, scope, (n) => {
        const dotted = dottedName(n);
        return dotted === undefined ? undefined : home.imports.canonical(dotted);
      });
      if (read) return { t: 'table', table: { shape: [read.table.rows, read.table.width], init: undefined, rowsText: read.rowsText, span: spanOf(call.node), fixed: read.table } };
    }
    // A builder given no tensor builds its model from its own inputs: a trace of its own keeps
    // two models built by two calls (a GAN's generator and discriminator) apart.
    const ownInputs = !fn.self && frame.trace !== undefined && !given.some(holdsTensor) && !someValue(givenKeywords, holdsTensor);
    // A TF 1 builder the script calls on its placeholders (`generator(noise_input)`) builds a
    // model of its own: its own trace, from inputs of the shapes it was given.
    const tf1Trace = !fn.self && !ownInputs && frame.depth === 0 && frame.trace !== undefined && home === this.main && buildsTf1Layers(fn.definition, home.imports) ? new Trace() : undefined;
    const fresh = (r: RValue): RValue => (tf1Trace && r?.t === 'tensor' ? { t: 'tensor', tensor: tf1Trace.input(r.tensor.shape) } : r);
    const args = tf1Trace ? given.map(fresh) : given;
    const keywords = tf1Trace ? new Map([...givenKeywords].map(([k, v]) => [k, fresh(v)])) : givenKeywords;
    const inner = new Frame(scope, fn.self, ownInputs ? new Trace() : tf1Trace ?? frame.trace, frame.shared, frame.depth + 1);
    argumentValues(parameterNames(fn.definition), call, args, keywords).forEach((value, name) => {
      // An argument with no runtime value (a class, a constant) is read through the scope,
      // where it is bound to the caller's expression: `norm(64)` with `norm=nn.BatchNorm1d`
      // is that class. Only a name that would otherwise mean one of the file's classes or
      // functions, or an import, is hidden by it.
      if (value !== undefined || this.namesDefinition(name, home)) inner.env.set(name, value);
    });
    const outputs: Tensor[] = [];
    const returned: RValue[] = [];
    const tf1Before = this.tf1Layers;
    // Builder functions return modules (keras models); forward helpers return tensors.
    const body = bodyOf(fn.definition);
    for (let i = 0; i < body.length; i++) {
      const statement = body[i]!;
      if (statement.type === 'return_statement' && statement.namedChild(0)) {
        returned.push(this.expression(statement.namedChild(0)!, inner));
        break;
      }
      // A return in a branch taken for certain ends the function too.
      if (this.run([statement], inner, outputs, returned)) break;
    }
    const result = returned[0] ?? (outputs.length === 1 ? { t: 'tensor', tensor: outputs[0]! } : undefined);
    const name = fn.definition.childForFieldName('name')?.text;
    if (tf1Trace && this.tf1Layers > tf1Before && name !== undefined && tensorsOf(result).length > 0 && ![...this.builtBy.values()].includes(name)) {
      const model: ModuleValue = { kind: 'opaque', className: 'keras.Model', record: classRecord('keras.Model') };
      this.functional.set(model, { trace: tf1Trace, outputs: tensorsOf(result) });
      this.builtBy.set(model, name);
      this.tf1Models.push({ model, call: call.node });
    }
    if (result?.t === 'module' && !fn.self && name !== undefined && home === this.main) this.builtBy.set(result.module, name);
    return result;
  }

  // ── initialisation ─────────────────────────────────────────────────────

  isLoaded(module: ModuleValue): boolean {
    for (const m of this.loaded) {
      if (m === module) return true;
      if ((m.kind === 'instance' || m.kind === 'sequence' || m.kind === 'list') && allModules(m).includes(module)) return true;
    }
    return false;
  }

}

/** What a subclassed Keras layer's call was given (interpreter.ts kerasLayerCall): bound to its `call`'s parameters. */
interface KerasLayerArguments {
  readonly call: CallParts;
  readonly args: readonly RValue[];
  readonly keywords: ReadonlyMap<string, RValue>;
  readonly callerScope: Scope;
}

/**
 * Names of a model's second forward parameter that mean a second token stream: an encoder's
 * memory (a decoder block's `memory`, Hugging Face's `encoder_hidden_states`) or the target
 * tokens of an encoder–decoder (`forward(self, src, tgt)`). Any other second parameter (a mask,
 * labels) stays unbound, as before.
 */
/** Methods that hand a learned table on unchanged in value (broadcast over the batch, moved, copied). */
const TABLE_VIEWS: ReadonlySet<string> = new Set(['expand', 'expand_as', 'repeat', 'to', 'type_as', 'clone']);

/**
 * A subscript that keeps a table's first rows: every slice starts at 0 (or is open) with no step
 * (`[:, :n + 1]`, `[:seq]`, `[:, :x.size(1)]`); an integer index or `[:, 1:]` does not.
 */
function slicesFromStart(parts: readonly Node[]): boolean {
  return parts.length > 0 && parts.every((part) => {
    if (part.type !== 'slice') return false;
    const children = part.children;
    const colons = children.filter((c) => c.type === ':').length;
    const first = children[0];
    return colons === 1 && (first?.type === ':' || first?.text === '0');
  });
}

/** `[:, None, None]`: the whole of one axis with new axes after it, the same values. */
function broadcastView(parts: readonly Node[]): boolean {
  return parts.length >= 2 && parts[0]!.type === 'slice' && parts[0]!.text.replace(/\s+/g, '') === ':' && parts.slice(1).every((p) => p.type === 'none');
}

/** `[:, 0]`: every row of the batch, the first along the next axis (the tokens) and nothing else. */
function firstToken(parts: readonly Node[]): boolean {
  return parts.length === 2 && parts[0]!.type === 'slice' && parts[0]!.text.replace(/\s+/g, '') === ':' && parts[1]!.type === 'integer' && parts[1]!.text === '0';
}

const MEMORY_PARAMETERS: ReadonlySet<string> = new Set([
  'memory', 'mem', 'memory_bank', 'enc_out', 'enc_output', 'enc_outputs', 'encoder_out', 'encoder_output', 'encoder_outputs',
  'encoder_hidden_states', 'tgt', 'trg',
]);

/** The forward pass of a class, its own or inherited (`forward`, `__call__`, Keras's `call`). */
export function forwardMethod(cls: ClassInfo): Node | undefined {
  for (const name of ['forward', '__call__', 'call']) {
    const found = findMethod(cls, name);
    if (typeof found === 'object') return found.definition;
  }
  return undefined;
}

/** `[None, 28, 28, 1]` / `[-1, 784]`: the shape after the batch axis, when every dimension is known. */
function batchless(shape: Value | undefined): number[] | undefined {
  if (!Array.isArray(shape) || shape.length < 2) return undefined;
  const dims: number[] = [];
  for (const d of (shape as readonly Value[]).slice(1)) {
    if (!isNumber(d) || d <= 0) return undefined;
    dims.push(d);
  }
  return dims;
}

/** Functions that build TF 1 functional weight layers (`tf.layers.dense(...)` in their body), read once per definition. */
const tf1Builders = new WeakMap<Node, boolean>();

function buildsTf1Layers(definition: Node, imports: Imports): boolean {
  let known = tf1Builders.get(definition);
  if (known === undefined) {
    known = definition.descendantsOfType('call').some((c) => {
      const callee = callParts(c)?.callee;
      const written = callee ? dottedName(callee) : undefined;
      return written !== undefined && isTf1WeightLayer(imports.canonical(written));
    });
    tf1Builders.set(definition, known);
  }
  return known;
}

/** The class of the hierarchy whose body holds `node` (the innermost: offsets are unique across modules). */
/** The indentation of the nearest line above `offset` that is indented less than `indent` (the block's opener). */
function outerIndentation(source: string, offset: number, indent: string): string | undefined {
  let end = source.lastIndexOf('\n', offset - 1);
  while (end > 0) {
    const start = source.lastIndexOf('\n', end - 1) + 1;
    const line = source.slice(start, end).replace(/\r$/, '');
    const own = /^[ \t]*/.exec(line)![0];
    if (line.trim() !== '' && !line.trimStart().startsWith('#') && own.length < indent.length) return own;
    end = start - 1;
  }
  return undefined;
}

function enclosingClass(classes: readonly ClassInfo[], node: Node): ClassInfo | undefined {
  let found: ClassInfo | undefined;
  for (const c of classes) {
    const d = c.definition;
    if (d.startIndex <= node.startIndex && node.endIndex <= d.endIndex && (!found || d.startIndex > found.definition.startIndex)) found = c;
  }
  return found;
}

/** A module's forward pass: calling it through a base InitWise cannot read initialises nothing. */
const FORWARD_METHODS: ReadonlySet<string> = new Set(['forward', '__call__', 'call']);

/** Array factories whose first argument is the shape, and random draws whose second is. */
const SAMPLE_FACTORIES: ReadonlySet<string> = new Set(['jax.numpy.ones', 'jax.numpy.zeros', 'jax.numpy.empty', 'numpy.ones', 'numpy.zeros', 'numpy.empty']);
const SAMPLE_DRAWS: ReadonlySet<string> = new Set(['jax.random.normal', 'jax.random.uniform']);

/** The calls container() models (checked first: most calls are layers, and the check allocates nothing). */
const CONTAINERS: ReadonlySet<string> = new Set([
  'torch.nn.Sequential', 'flax.nnx.Sequential', 'torch.nn.ModuleList', 'torch.nn.ModuleDict', 'keras.Sequential', 'keras.models.Sequential',
  'flax.linen.Sequential', 'keras.Model', 'keras.models.Model', 'keras.models.Functional', 'keras.models.functional.Functional',
  'keras.Input', 'keras.layers.Input',
]);

function childrenOf(module: ModuleValue): ModuleValue[] {
  if (module.kind === 'sequence' || module.kind === 'list') return [...module.items];
  if (module.kind === 'instance') return [...module.attributes.values()];
  return [];
}

function holdsTensor(value: RValue): boolean {
  return tensorsOf(value).length > 0;
}

/** Whether any value of the map passes `test` (no iterator per step: issue 16). */
function someValue<K, V>(map: ReadonlyMap<K, V>, test: (value: V) => boolean): boolean {
  let found = false;
  map.forEach((value) => {
    if (!found && test(value)) found = true;
  });
  return found;
}

/** What a name bound as a layer factory stands for (Interpreter.callableOf). */
type Callable =
  | { readonly kind: 'framework'; readonly canonical: string; readonly viaFactory: boolean }
  | { readonly kind: 'class'; readonly cls: ClassInfo }
  | ({ readonly kind: 'partial'; readonly target: Callable } & PartialCall);
