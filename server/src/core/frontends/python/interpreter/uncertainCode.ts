/**
 * Code the interpreter cannot decide whether it runs: a branch on an unknown condition, a
 * loop over something it cannot enumerate. It is not run; instead every name it assigns
 * becomes unknown, and every weight layer it might initialise gets an unknown
 * initializer, so no rule judges a default or an init that may not be what the layer
 * gets (rules.md: "say nothing about that layer rather than guess").
 *
 * The layers are named when the init call names them (`nn.init.*_(self.fc.weight)`). When
 * it does not — torchvision's `if init_weights: for m in self.modules(): ...`, a loop over
 * `parameters()` / `named_parameters()` (which the interpreter does not enumerate), an
 * `apply(fn)`, a helper method or function holding init calls — every weight layer of the
 * module under construction (or, at module level, of every model in scope) is affected.
 */
import { type Frame, type RValue } from './frame';
import type { Imports } from '../frameworks/imports';
import type { InitCalls } from './initCalls';
import { allModules, classRecord, type InstanceModule, type ModuleValue, type WeightModule } from './modules';
import { torchInitName } from './parameterTables';
import { forgetRecurrentInit } from './recurrentState';
import { bodyOf, callParts, type CallParts, definitionOf, dottedName, type Node, spanOf } from '../syntax/syntax';
import { appendAll } from '../../../util/arrays';

/** What handling uncertain code needs from the interpreter. */
export interface UncertainContext {
  readonly imports: Imports;
  readonly functions: ReadonlyMap<string, Node>;
  /** The file's classes, for a method called on a receiver the interpreter could not read. */
  readonly classes: ReadonlyMap<string, { readonly definition: Node }>;
  readonly inits: InitCalls;
  expression(node: Node, frame: Frame): RValue;
  /** The method `name` of an instance's class, its own or inherited; 'unknown' when a base InitWise cannot read may define it (inheritance.ts). */
  methodOf(instance: InstanceModule, name: string): Node | 'unknown' | undefined;
  /** The imports of the module that wrote `node` (a base class's method reads its own). */
  importsOf(node: Node): Imports;
}

/** Methods the framework calls itself: never "uncalled". */
const CALLED_BY_FRAMEWORK: ReadonlySet<string> = new Set(['__init__', 'forward', 'setup', '__call__', '_forward_impl']);

/**
 * Methods the frameworks' module classes define and that set no weights (`self.register_buffer`,
 * Keras's `self.add_weight`): called on a class with a base InitWise cannot read, they are
 * still the framework's.
 */
const FRAMEWORK_METHODS: ReadonlySet<string> = new Set([
  'register_buffer', 'register_parameter', 'register_module', 'add_module', 'parameters', 'named_parameters', 'buffers', 'named_buffers',
  'modules', 'named_modules', 'children', 'named_children', 'to', 'cuda', 'cpu', 'train', 'eval', 'float', 'double', 'half', 'requires_grad_',
  'forward', '__call__', 'call', 'add_weight', 'add_loss', 'add_metric', 'build', 'state_dict', 'zero_grad', 'extra_repr', 'super',
]);

/** A weight tensor as init code writes it: `x.weight`, `x.weight.data`. */
const WEIGHT_TENSOR = /\.weight(\.data)?$/;

/** Python builtins that read a tensor and never write it: given a weight, the init stays as it was. */
const PURE_BUILTINS: ReadonlySet<string> = new Set(['print', 'len', 'id', 'isinstance', 'type', 'repr', 'str', 'hasattr', 'getattr', 'sum', 'max', 'min', 'float', 'int', 'abs', 'list', 'tuple']);
/**
 * A tensor held in a plain name — `p` in `for p in self.parameters()` (the Annotated
 * Transformer's xavier loop, nanoGPT's `named_parameters()` re-init), `p.data`,
 * `p.detach()` (improved-diffusion's `zero_module`): it may be any weight.
 */
const NAMED_TENSOR = /^[\p{L}_][\p{L}\p{N}_]*(\.data|\.detach\(\))?$/u;
/** In-place tensor methods that (re)initialise what they are called on. */
const INIT_METHODS: ReadonlySet<string> = new Set(['normal_', 'uniform_', 'zero_', 'fill_', 'copy_', 'trunc_normal_', 'log_normal_', 'exponential_', 'cauchy_', 'geometric_', 'random_', 'bernoulli_']);

export class UncertainCode {
  constructor(private readonly interp: UncertainContext) {}

  /** Makes what `node` might do unknown (see the file comment). */
  taint(node: Node, frame: Frame): void {
    // Indexed loops, no spread: most of the interpreter runs in V8's baseline tiers during a
    // check, where each for…of step allocates an iterator result (issue 16).
    const assignments = node.descendantsOfType('assignment');
    const augmented = node.descendantsOfType('augmented_assignment');
    for (let a = 0; a < assignments.length + augmented.length; a++) {
      const assignment = a < assignments.length ? assignments[a]! : augmented[a - assignments.length]!;
      const left = assignment.childForFieldName('left');
      if (!left) continue;
      const pattern = left.type === 'pattern_list' || left.type === 'tuple_pattern';
      const count = pattern ? left.namedChildren.length : 1;
      for (let t = 0; t < count; t++) {
        const name = dottedName(pattern ? left.namedChildren[t]! : left);
        if (name === undefined) continue;
        frame.env.set(name, opaqued(frame.lookup(name), frame));
        if (name.startsWith('self.') && frame.self) frame.self.attributes.set(name.slice(5), { kind: 'opaque', className: 'unknown', record: classRecord('unknown') });
      }
    }
    // Calls inside (append, init calls, layers applied to tensors) are not run; weights they might set become unknown.
    let unnamedLayers = false;
    const calls = node.descendantsOfType('call');
    for (let c = 0; c < calls.length; c++) {
      const call = calls[c]!;
      const parts = callParts(call);
      if (!parts) continue;
      const effect = this.initEffect(parts, frame);
      if (effect === 'unnamed') unnamedLayers = true;
      else for (const layer of effect) this.undecided(layer, call);
      if (parts.callee.type === 'attribute' && parts.callee.childForFieldName('attribute')?.text === 'append') {
        const owner = dottedName(parts.callee.childForFieldName('object')!);
        if (owner !== undefined) frame.env.set(owner, undefined);
      }
    }
    if (unnamedLayers) for (const layer of this.layersInReach(frame)) this.undecided(layer, node);
    forgetTables(frame.self, node.text, unnamedLayers);
  }

  /** The weight layers an init-like call sets: named ones, 'unnamed' when it cannot tell which, none for other calls. */
  private initEffect(call: CallParts, frame: Frame): readonly WeightModule[] | 'unnamed' {
    const callee = dottedName(call.callee);
    const canonical = callee === undefined ? undefined : this.interp.imports.canonical(callee);
    if (canonical !== undefined && torchInitName(canonical) !== undefined) {
      const tensor = call.positional[0] ?? call.keywords.get('tensor')?.value;
      const recurrent = tensor ? this.interp.inits.recurrentTarget(tensor, frame) : undefined;
      if (recurrent) return [recurrent.module];
      if (tensor && WEIGHT_TENSOR.test(tensor.text)) return this.named(tensor, frame);
      return tensor && NAMED_TENSOR.test(tensor.text) ? 'unnamed' : [];
    }
    if (call.callee.type === 'attribute') {
      const method = call.callee.childForFieldName('attribute')?.text ?? '';
      const object = call.callee.childForFieldName('object');
      if (!object) return [];
      // w.data.normal_(0, 0.02), self.fc.weight.uniform_(-r, r), self.lstm.bias_ih_l0.data[h:2*h].fill_(1)
      const recurrent = method.endsWith('_') ? this.interp.inits.recurrentTarget(object, frame) : undefined;
      if (recurrent) return [recurrent.module];
      if (method.endsWith('_') && WEIGHT_TENSOR.test(object.text)) return this.named(object, frame);
      if (INIT_METHODS.has(method) && NAMED_TENSOR.test(object.text)) return 'unnamed';
      // model.apply(fn): every layer of that model
      if (method === 'apply' && call.positional.length === 1) {
        // Only a name is looked up: evaluating a call here would build layers the code may never build.
        const owner = dottedName(object) === undefined ? undefined : this.interp.expression(object, frame);
        return owner?.t === 'module' ? weightLayers(owner.module) : 'unnamed';
      }
      // self._init_weights(): a method of this class that holds init code
      if (object.text === 'self' && frame.self) {
        const method_ = this.interp.methodOf(frame.self, method);
        if (method_ === 'unknown') return FRAMEWORK_METHODS.has(method) ? [] : 'unnamed';
        return method_ && this.holdsInitCode(method_) ? 'unnamed' : [];
      }
      // layer.init_weights() on a receiver not read: any class of the file whose method of that name holds init code
      return this.isInitMethodName(method) ? 'unnamed' : [];
    }
    // _xavier_init(self.extra): a function of this file that holds init code
    const fn = callee === undefined ? undefined : this.interp.functions.get(callee);
    if (fn) return this.holdsInitCode(fn) ? 'unnamed' : [];
    // A function InitWise cannot read given a layer's weight may draw it (unreadFunctionOnWeights).
    return canonical !== undefined && !PURE_BUILTINS.has(canonical) ? this.weightArguments(call, frame) : [];
  }

  /**
   * A call of a function InitWise cannot read (another library's init helper, a module it
   * cannot resolve) given a layer's weight, `my_init(m.weight)`: the function may draw it in
   * place, so the layer's init is unknown, never the default it had before the call (ConvNeXt's
   * `trunc_normal_` from a timm path InitWise did not know was judged as PyTorch's default).
   */
  unreadFunctionOnWeights(call: CallParts, frame: Frame, name: string): void {
    if (PURE_BUILTINS.has(name)) return;
    for (const layer of this.weightArguments(call, frame)) this.undecided(layer, call.node, `set by \`${name}\`, which InitWise cannot read`);
  }

  /** The layers whose weights a call is given (`f(m.weight)`, `f(tensor=self.fc.weight.data)`). */
  private weightArguments(call: CallParts, frame: Frame): WeightModule[] {
    const out: WeightModule[] = [];
    const consider = (node: Node) => {
      if (WEIGHT_TENSOR.test(node.text)) appendAll(out, this.interp.inits.weightTarget(node, frame));
    };
    for (const p of call.positional) consider(p);
    for (const { value } of call.keywords.values()) consider(value);
    return out;
  }

  /**
   * Init code InitWise cannot read ran on the module being built (a base class's method it
   * cannot read, `super().reset_parameters()`): every weight layer in reach gets an unknown init.
   */
  unknownInitCode(at: Node, frame: Frame): void {
    for (const layer of this.layersInReach(frame)) this.undecided(layer, at);
    forgetTables(frame.self, at.text, true);
  }

  /** `self.name(...)` that no readable class defines: when a base InitWise cannot read may, its init code is unknown. */
  selfCallOfUnknownMethod(name: string, at: Node, frame: Frame): void {
    if (frame.self && !FRAMEWORK_METHODS.has(name) && this.interp.methodOf(frame.self, name) === 'unknown') this.unknownInitCode(at, frame);
  }

  /** Per module text and method name: how often the name is written there (uncalledInitMethods). */
  private readonly mentions = new Map<string, Map<string, number>>();

  /**
   * Init methods nobody in their module calls: `def init_weights(self)` on a model whose
   * training script (`model.init_weights()` in train.py) or runner (mmdetection's backbones)
   * calls it. Read alone, the layers such a method sets look like framework defaults, and
   * they may not be: they are unknown, never judged as defaults (precision, issue 11). A
   * method counts as called when its name is written anywhere else in the code of the modules
   * of its class and bases (a call — `self._init_weights()` in a subclass's file —, a
   * reference, a string; not a comment); an importer that calls it runs it (interpreter.ts
   * attribute()), so its init code then decides.
   */
  uncalledInitMethod(def: Node, instance: InstanceModule, frameOf: () => Frame, sources: readonly string[]): void {
    const name = def.childForFieldName('name')?.text;
    if (name === undefined || CALLED_BY_FRAMEWORK.has(name)) return;
    // The learned tables it names (`self.pos_embed.data.normal_(…)`, timm's `trunc_normal_(self.pos_embed, …)`):
    // any uncalled method that writes their name may set them.
    if (instance.tables && sources.reduce((n, source) => n + this.mentionCount(source, name), 0) <= 1) forgetTables(instance, def.text, false);
    if (!this.holdsInitCode(def)) return;
    if (sources.reduce((n, source) => n + this.mentionCount(source, name), 0) > 1) return;
    const frame = frameOf();
    for (const call of def.descendantsOfType('call')) {
      const parts = callParts(call);
      if (!parts) continue;
      const effect = this.initEffect(parts, frame);
      for (const layer of effect === 'unnamed' ? weightLayers(instance) : effect) this.undecided(layer, call, `set by \`${name}\`, which nothing in its module calls`);
    }
  }

  private mentionCount(source: string, name: string): number {
    let counts = this.mentions.get(source);
    if (!counts) this.mentions.set(source, (counts = new Map<string, number>()));
    let count = counts.get(name);
    if (count === undefined) {
      // Mentions in code: not after a `#` on the same line (a comment that names it calls nothing).
      count = 0;
      for (const match of source.matchAll(new RegExp(`(?<![\\w])${name}(?![\\w])`, 'g'))) {
        const lineStart = source.lastIndexOf('\n', match.index) + 1;
        if (!source.slice(lineStart, match.index).includes('#')) count++;
      }
      counts.set(name, count);
    }
    return count;
  }

  /** The file's class methods by name (read once per analysis: names only, bodies are read on demand). */
  private methodsByName: Map<string, Node[]> | undefined;
  /** Per method name asked about: whether some class of the file holds init code under it. */
  private readonly initMethodNames = new Map<string, boolean>();

  /**
   * True when a class of the file has a method `name` holding init code (`init_weights`,
   * `reset_parameters`, ...). Only the methods of that name are read, once per name: this is
   * asked for every method call on a receiver the interpreter does not read (`x.view(...)`),
   * and reading every method body on every keystroke cost a third of a re-analysis.
   */
  isInitMethodName(name: string): boolean {
    const known = this.initMethodNames.get(name);
    if (known !== undefined) return known;
    if (!this.methodsByName) {
      this.methodsByName = new Map();
      for (const cls of this.interp.classes.values()) {
        for (const statement of bodyOf(cls.definition)) {
          const def = definitionOf(statement);
          const methodName = def.type === 'function_definition' ? def.childForFieldName('name')?.text : undefined;
          if (methodName === undefined) continue;
          const list = this.methodsByName.get(methodName);
          if (list) list.push(def);
          else this.methodsByName.set(methodName, [def]);
        }
      }
    }
    const holds = (this.methodsByName.get(name) ?? []).some((def) => this.holdsInitCode(def));
    this.initMethodNames.set(name, holds);
    return holds;
  }

  private named(tensor: Node, frame: Frame): readonly WeightModule[] | 'unnamed' {
    const layers = this.interp.inits.weightTarget(tensor, frame);
    return layers.length > 0 ? layers : 'unnamed';
  }

  /** Init calls, in-place weight methods or `apply(...)` anywhere in a definition (read, not run). */
  holdsInitCode(definition: Node): boolean {
    // Asked for every method of every instance built (uncalledInitMethod): read each body once.
    let holds = this.initCode.get(definition);
    if (holds === undefined) this.initCode.set(definition, (holds = this.readsAsInitCode(definition)));
    return holds;
  }

  private readonly initCode = new Map<Node, boolean>();

  private readsAsInitCode(definition: Node): boolean {
    const imports = this.interp.importsOf(definition);
    return definition.descendantsOfType('call').some((call) => {
      const parts = callParts(call);
      if (!parts) return false;
      const callee = dottedName(parts.callee);
      if (callee !== undefined && torchInitName(imports.canonical(callee)) !== undefined) return true;
      if (parts.callee.type !== 'attribute') return false;
      const method = parts.callee.childForFieldName('attribute')?.text ?? '';
      const object = parts.callee.childForFieldName('object');
      return method === 'apply' || (method.endsWith('_') && object !== null && WEIGHT_TENSOR.test(object.text))
        || (INIT_METHODS.has(method) && object !== null && NAMED_TENSOR.test(object.text));
    });
  }

  /** The layers init code of unknown reach can touch: the module under construction, else every model in scope. */
  private layersInReach(frame: Frame): WeightModule[] {
    if (frame.self) return weightLayers(frame.self);
    const out: WeightModule[] = [];
    for (const value of frame.env.values()) if (value?.t === 'module') appendAll(out, weightLayers(value.module));
    // A model the script bound earlier stays in reach when its name was made unknown since
    // (`G = G.cuda()` under `if cuda:`): the code may still set its layers (PyTorch-GAN's
    // `else: G.apply(weights_init_normal)`).
    for (const binding of frame.bindings) appendAll(out, weightLayers(binding.module));
    return [...new Set(out)];
  }

  private undecided(layer: WeightModule, at: Node, label = 'set in a branch or loop InitWise cannot follow'): void {
    if (layer.recurrent) forgetRecurrentInit(layer.recurrent, spanOf(at));
    layer.init = { semantics: undefined, label, explicit: true, acceptedDefault: false, span: spanOf(at) };
    // A fix must not rewrite or insert an init this uncertain code may override.
    if (layer.torchFixes) {
      layer.torchFixes.sharedInit = true;
      layer.torchFixes.depthScale = undefined;
    }
  }
}

/** An unknown value that replaces `value`: a tensor's consumers become unknown. */
export function opaqued(value: RValue, frame: Frame): RValue {
  if (value?.t === 'tensor' && frame.trace) return { t: 'tensor', tensor: frame.trace.opaque(value.tensor) };
  return undefined;
}

/**
 * The learned tables (parameterTables.ts) code that may not run, or cannot be read, may set: those
 * it names (`self.pos_embed`), or all of the module's when it cannot tell which. Their init is then unknown.
 */
function forgetTables(instance: InstanceModule | undefined, text: string, all: boolean): void {
  if (!instance?.tables) return;
  for (const [name, table] of instance.tables) {
    if (all || new RegExp(`\\.${name}(?![\\p{L}\\p{N}_])`, 'u').test(text)) table.init = undefined;
  }
}

function weightLayers(root: ModuleValue): WeightModule[] {
  return allModules(root).filter((m): m is WeightModule => m.kind === 'weight');
}

