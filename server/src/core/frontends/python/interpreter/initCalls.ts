/**
 * PyTorch initialisation as the program runs it: `nn.init.*_(w, ...)` calls, in-place
 * tensor methods (`w.data.normal_(0, 0.02)`), `module.apply(fn)` and loops over
 * `modules()`. Each sets the weight's init in program order (a later call wins), and
 * remembers which call site set which layers, so a fix edits a call only when it sets
 * that one layer.
 */
import { torchInitSite } from '../fixes/fixBuilder';
import type { Imports } from '../frameworks/imports';
import { readTensorMethod, readTorchInitCall, type InitRead } from '../frameworks/initializers';
import { FORGET_GATE, gateCount } from '../../../knowledge/recurrent';
import { forgetRecurrentInit, uniformVector } from './recurrentState';
import { weightMean, weightVariance } from '../../../knowledge/initializers';
import { evaluate } from './values';
import type { UnknownNames } from '../frameworks/unknownNames';
import { Frame, type RValue } from './frame';
import { allModules, type ModuleValue, type WeightModule } from './modules';
import { bodyOf, type CallParts, type Node, spanOf } from '../syntax/syntax';
import type { SiteCounts } from '../units/siteCounts';
import type { DepthScaleSites } from './depthScaleSites';
import { bindAssignments, Scope } from './values';

/**
 * What reading init calls needs from the interpreter (the Interpreter passes itself). Named
 * here rather than importing the Interpreter class, which imports this file: the two (and
 * uncertainCode.ts, which uses InitCalls) formed an import cycle (issue 11), and the cycle
 * test (test/frontends/python.importCycles.test.ts) keeps the frontend free of them.
 */
export interface InitCallContext {
  readonly imports: Imports;
  /** Read on every use: the interpreter starts a new UnknownNames for each unit of the file. */
  readonly names: UnknownNames;
  readonly sites: SiteCounts;
  /** What IW402's fix needs of fixed-std init calls and apply(fn) (depthScaleSites.ts). */
  readonly depthSites: DepthScaleSites;
  expression(node: Node, frame: Frame): RValue;
  /** Runs a function body (apply(fn)'s fn) for its effects: it has no tensor outputs. */
  run(statements: readonly Node[], frame: Frame, outputs: undefined): void;
}

/** A recurrent layer's parameter as init code names it: `weight_hh_l0`, `bias_ih_l1_reverse`, a cell's `weight_hh`. */
const RECURRENT_PARAM = /^(weight_ih|weight_hh|bias_ih|bias_hh)(?:_(l\d+(?:_reverse)?))?$/;

interface RecurrentTarget {
  readonly module: WeightModule;
  readonly param: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh';
  readonly suffix: string;
  /** `[a:b]` on the parameter: its bounds (undefined: open); undefined when not sliced. */
  readonly slice?: { readonly start: Node | undefined; readonly end: Node | undefined } | 'other';
  /** The tensor as written, without `.data` or the slice (for replacing the call). */
  readonly text: string;
}

export class InitCalls {
  constructor(private readonly interp: InitCallContext) {}

  /** The weight layers an expression like `self.fc1.weight`, `m.weight.data`, `model[0].weight` refers to. */
  weightTarget(node: Node, frame: Frame): WeightModule[] {
    let n = node;
    if (n.type === 'attribute' && n.childForFieldName('attribute')?.text === 'data') n = n.childForFieldName('object')!;
    if (n.type !== 'attribute') return [];
    const attr = n.childForFieldName('attribute')?.text;
    const owner = this.interp.expression(n.childForFieldName('object')!, frame);
    if (attr !== 'weight' || owner?.t !== 'module' || owner.module.kind !== 'weight') return [];
    return [owner.module];
  }

  /** A recurrent layer's parameter the expression names (`self.lstm.bias_ih_l0.data[h:2*h]`), or undefined. */
  recurrentTarget(node: Node, frame: Frame): RecurrentTarget | undefined {
    let n = node;
    let slice: RecurrentTarget['slice'];
    if (n.type === 'subscript') {
      const index = n.childForFieldName('subscript');
      slice = index?.type === 'slice' ? sliceBounds(index) : 'other';
      n = n.childForFieldName('value')!;
    }
    if (n.type === 'attribute' && n.childForFieldName('attribute')?.text === 'data') n = n.childForFieldName('object')!;
    if (n.type !== 'attribute') return undefined;
    const match = RECURRENT_PARAM.exec(n.childForFieldName('attribute')?.text ?? '');
    if (!match) return undefined;
    const owner = this.interp.expression(n.childForFieldName('object')!, frame);
    if (owner?.t !== 'module' || owner.module.kind !== 'weight' || !owner.module.recurrent) return undefined;
    return { module: owner.module, param: match[1] as RecurrentTarget['param'], suffix: match[2] ?? '', ...(slice ? { slice } : {}), text: n.text };
  }

  /** `lstm.bias_ih_l0.data[h:2*h].fill_(1.0)` and other in-place methods on a recurrent parameter; true when it was one. */
  recurrentMethod(method: string, objectNode: Node, call: CallParts, frame: Frame): boolean {
    const target = this.recurrentTarget(objectNode, frame);
    if (!target) return false;
    const read = readTensorMethod(method, call, frame.scope, this.interp.imports);
    this.setRecurrent(target, read === 'not-init' ? { semantics: undefined, label: method } : read, call.node, frame, false);
    return true;
  }

  /** Sets what an init call or method writes into a recurrent layer's parameter. */
  private setRecurrent(target: RecurrentTarget, read: InitRead & { readonly identity?: boolean }, callNode: Node, frame: Frame, replaceable: boolean): void {
    const state = target.module.recurrent!;
    const params = state.params.get(target.suffix);
    if (!params) return;
    const span = spanOf(callNode);
    const gates = gateCount(state.cell);
    const hidden = state.hidden;
    if (target.param === 'weight_hh') {
      state.kernelCalls.set(target.suffix, replaceable && !target.slice ? { span, target: target.text } : 'not-replaceable');
      params.recurrentInit = target.slice
        ? { kind: 'drawn', init: { semantics: undefined, label: 'set per slice', explicit: true, acceptedDefault: false, span } }
        : read.identity ? { kind: 'identity', gain: 1, label: read.label, span }
          : { kind: 'drawn', init: { semantics: read.semantics, label: read.label, explicit: true, acceptedDefault: false, span } };
      params.recurrentFans = { fanIn: hidden ?? 0, fanOut: gates * (hidden ?? 0) };
      return;
    }
    if (target.param === 'weight_ih') {
      if (target.suffix === 'l0' || target.suffix === '') {
        target.module.init = target.slice
          ? { semantics: undefined, label: 'set per slice', explicit: true, acceptedDefault: false, span }
          : { semantics: read.semantics, label: read.label, explicit: true, acceptedDefault: false, span };
      }
      return;
    }
    state.biasWritten = true;
    const key = target.param === 'bias_ih' ? 'biasIh' : 'biasHh';
    if (!target.slice) {
      params[key] = uniformVector(gates, read.semantics, gates * (hidden ?? 1));
      if (state.cell === 'lstm') state.forgetBiasSpan = span;
      return;
    }
    // A slice that covers whole gates (`[h:2*h]`: the forget gate) sets their mean; anything else is unknown.
    const vector = params[key];
    const start = target.slice === 'other' ? undefined : target.slice.start ? evaluate(target.slice.start, frame.scope) : 0;
    const end = target.slice === 'other' ? undefined : target.slice.end ? evaluate(target.slice.end, frame.scope) : gates * (hidden ?? NaN);
    const semantics = read.semantics;
    if (!vector || !hidden || typeof start !== 'number' || typeof end !== 'number' || semantics?.kind !== 'constant' ||
        start % hidden !== 0 || end % hidden !== 0 || start < 0 || end > gates * hidden || start >= end) {
      params[key] = undefined;
      return;
    }
    for (let gate = start / hidden; gate < end / hidden; gate++) {
      vector[gate] = { mean: semantics.value, variance: 0 };
      if (state.cell === 'lstm' && gate === FORGET_GATE) state.forgetBiasSpan = span;
    }
  }

  /** The weight layers whose bias an expression like `self.fc1.bias`, `m.bias.data` names. */
  /**
   * An init of nn.MultiheadAttention's own parameters (`attn.in_proj_weight`, `.in_proj_bias`,
   * `.q_proj_weight`, a slice of one): in_proj_weight as a whole sets q, k and v (their framework
   * fans are the whole [3E, E] matrix); in_proj_bias sets their biases; anything else makes
   * their init unknown. False when the target is no such parameter.
   */
  attentionParameter(node: Node, frame: Frame, read: () => InitRead | 'not-init', callNode: Node): boolean {
    let n = node;
    let sliced = false;
    if (n.type === 'subscript') {
      sliced = true;
      n = n.childForFieldName('value')!;
    }
    if (n.type === 'attribute' && n.childForFieldName('attribute')?.text === 'data') n = n.childForFieldName('object')!;
    const param = n.type === 'attribute' ? n.childForFieldName('attribute')?.text : undefined;
    if (!param || !/^(in_proj_weight|in_proj_bias|q_proj_weight|k_proj_weight|v_proj_weight|bias_k|bias_v)$/.test(param)) return false;
    const owner = this.interp.expression(n.childForFieldName('object')!, frame);
    if (owner?.t !== 'module' || owner.module.kind !== 'attention') return false;
    const inProj = owner.module.projections.slice(0, 3);
    const r = read();
    if (r === 'not-init') return true;
    if (param === 'in_proj_weight' && !sliced) {
      for (const module of inProj) {
        this.interp.sites.add('initCall', callNode.startIndex);
        module.init = { semantics: r.semantics, label: r.label, explicit: true, acceptedDefault: false, span: spanOf(callNode), ...(r.scaleFollows ? { scaleFollows: r.scaleFollows } : {}) };
      }
    } else if (param === 'in_proj_bias' && !sliced) {
      this.setBias(inProj, r);
    } else {
      for (const module of inProj) module.init = { semantics: undefined, label: `${param} set in a way InitWise does not follow`, explicit: true, acceptedDefault: false };
    }
    return true;
  }

  biasTarget(node: Node, frame: Frame): WeightModule[] {
    let n = node;
    if (n.type === 'attribute' && n.childForFieldName('attribute')?.text === 'data') n = n.childForFieldName('object')!;
    if (n.type !== 'attribute' || n.childForFieldName('attribute')?.text !== 'bias') return [];
    const owner = this.interp.expression(n.childForFieldName('object')!, frame);
    return owner?.t === 'module' && owner.module.kind === 'weight' && !owner.module.recurrent ? [owner.module] : [];
  }

  /**
   * `nn.init.zeros_(m.bias)`, `m.bias.data.fill_(0.01)`: the bias's second moment (Var + mean²)
   * for inits that do not depend on a fan (a bias is one-dimensional); a fan-scaled one, or one
   * that cannot be read, leaves the framework default in place.
   */
  setBias(targets: readonly WeightModule[], read: InitRead): void {
    const semantics = read.semantics;
    if (!semantics || !['constant', 'normal', 'uniform', 'truncated_normal'].includes(semantics.kind)) return;
    const mean = weightMean(semantics);
    const secondMoment = weightVariance(semantics, { fanIn: 1, fanOut: 1 }) + mean * mean;
    if (!Number.isFinite(secondMoment)) return;
    for (const module of targets) module.biasVariance = secondMoment;
  }

  /** Values a `named_parameters()` / `parameters()` loop binds to a weight (namedParameters.ts). */
  private readonly parameters = new WeakMap<object, readonly WeightModule[]>();

  /** `modules`: the layer, and the one it shares its weight with (tied weights). */
  parameterToken(modules: readonly WeightModule[]): RValue {
    const token: RValue = { t: 'list', items: [] };
    this.parameters.set(token, modules);
    return token;
  }

  /**
   * `nn.init.normal_(p, …)` or `p.data.normal_(…)` on a weight a parameter loop bound to `p`:
   * that weight's init (an in-place op that is no init makes it unknown). False: not such a value.
   */
  parameterInit(node: Node, frame: Frame, read: () => InitRead | 'not-init', callNode: Node): boolean {
    let n = node;
    if (n.type === 'attribute' && n.childForFieldName('attribute')?.text === 'data') n = n.childForFieldName('object')!;
    const bound = n.type === 'identifier' ? frame.env.get(n.text) : undefined;
    const modules = bound ? this.parameters.get(bound) : undefined;
    if (!modules) return false;
    const r = read();
    for (const module of modules) {
      this.interp.sites.add('initCall', callNode.startIndex);
      module.init = r === 'not-init'
        ? { semantics: undefined, label: 'changed in place in a parameter loop', explicit: true, acceptedDefault: false }
        : { semantics: r.semantics, label: r.label, explicit: true, acceptedDefault: false, span: spanOf(callNode), ...(r.scaleFollows ? { scaleFollows: r.scaleFollows } : {}) };
      // The call sets every weight the loop reaches: it is no one layer's to rewrite.
      if (module.torchFixes) {
        module.torchFixes.sharedInit = true;
        module.torchFixes.depthScale = undefined;
      }
    }
    return true;
  }

  torchInit(call: CallParts, canonical: string, frame: Frame): void {
    const first = call.positional[0] ?? call.keywords.get('tensor')?.value;
    if (!first) return;
    if (this.parameterInit(first, frame, () => readTorchInitCall(call, canonical, frame.scope, this.interp.imports), call.node)) return;
    if (this.attentionParameter(first, frame, () => readTorchInitCall(call, canonical, frame.scope, this.interp.imports), call.node)) return;
    const recurrent = this.recurrentTarget(first, frame);
    if (recurrent) {
      const read = canonical === 'torch.nn.init.eye_'
        ? { semantics: undefined, label: 'eye_', identity: true }
        : readTorchInitCall(call, canonical, frame.scope, this.interp.imports);
      if (read !== 'not-init') this.setRecurrent(recurrent, read, call.node, frame, first.type !== 'subscript' && !/\.data$/.test(first.text));
      return;
    }
    if (/\.bias(\.data)?$/.test(first.text)) {
      const read = readTorchInitCall(call, canonical, frame.scope, this.interp.imports);
      if (read !== 'not-init') this.setBias(this.biasTarget(first, frame), read);
      return;
    }
    const read = readTorchInitCall(call, canonical, frame.scope, this.interp.imports);
    if (read === 'not-init') return;
    const nonlinearity = call.keywords.get('nonlinearity')?.value ?? (/kaiming_/.test(canonical) ? call.positional[3] : undefined);
    if (nonlinearity) this.interp.names.check(nonlinearity, 'nonlinearity');
    this.setInit(this.weightTarget(first, frame), first, read, call.node, frame);
  }

  setInit(targets: readonly WeightModule[], targetNode: Node, read: InitRead, callNode: Node, frame: Frame): void {
    if (!/\.weight(\.data)?$/.test(targetNode.text)) return;
    for (const module of targets) {
      // How many weights this call site sets (a call in a loop or in apply(fn) sets several).
      this.interp.sites.add('initCall', callNode.startIndex);
      module.init = {
        semantics: read.semantics, label: read.label, explicit: true, acceptedDefault: false, span: spanOf(callNode),
        ...(read.scaleFollows ? { scaleFollows: read.scaleFollows } : {}),
      };
      const fixes = module.torchFixes;
      if (fixes) {
        fixes.sharedInit = frame.shared;
        // Read when a fix is built, after the whole file ran: a call in a loop sets several layers.
        const sites = this.interp.sites;
        const start = callNode.startIndex;
        const weight = /\.data$/.test(targetNode.text) || callNode.childForFieldName('function')?.type === 'attribute' && callNode.childForFieldName('function')?.childForFieldName('object')?.text === targetNode.text
          ? targetNode.text.replace(/\.data$/, '') : undefined;
        fixes.initCall = callNode.type === 'call' ? torchInitSite(callNode, () => sites.get('initCall', start), weight) : undefined;
        fixes.depthScale = this.interp.depthSites.site(module, callNode, targetNode, read.semantics, frame, () => sites.get('initCall', start));
      }
    }
  }

  unknownInit(module: ModuleValue, call: Node): void {
    if (module.kind !== 'weight') return;
    if (module.recurrent) forgetRecurrentInit(module.recurrent, spanOf(call));
    module.init = { semantics: undefined, label: 'set by a function InitWise cannot follow', explicit: true, acceptedDefault: false, span: spanOf(call) };
    if (module.torchFixes) {
      module.torchFixes.sharedInit = true;
      module.torchFixes.depthScale = undefined;
    }
  }

  /** `module.apply(fn)`: fn runs on every sub-module, children first (PyTorch order), then the module itself. */
  applyFunction(root: ModuleValue, fn: Extract<RValue, { t: 'function' }>, frame: Frame, call: Node, receiver: Node): void {
    const definition = fn.definition;
    const params = (definition.childForFieldName('parameters')?.namedChildren ?? []).filter((p) => p.text !== 'self');
    const param = params[0];
    const name = param ? (param.type === 'identifier' ? param.text : (param.childForFieldName('name') ?? param.namedChild(0))?.text) : undefined;
    if (name === undefined) return;
    const modules = allModules(root).reverse();
    const applied = definition.type === 'lambda' ? undefined : this.interp.depthSites.applied(root, call, receiver, frame);
    for (const module of modules) {
      const scope = new Scope(fn.scope);
      scope.bindValue(name, module.record);
      const inner = new Frame(scope, fn.self, undefined, true, frame.depth + 1);
      inner.env.set(name, { t: 'module', module });
      inner.applied = applied;
      if (definition.type === 'lambda') {
        const body = definition.childForFieldName('body');
        if (body) this.interp.expression(body, inner);
      } else {
        bindAssignments(bodyOf(definition), scope);
        this.interp.run(bodyOf(definition), inner, undefined);
      }
    }
  }
}

/** The bounds of `[a:b]` (a `slice` node): undefined where open; 'other' for a step. */
function sliceBounds(slice: Node): { start: Node | undefined; end: Node | undefined } | 'other' {
  const parts: (Node | undefined)[] = [undefined];
  for (const child of slice.children) {
    if (child.type === ':') parts.push(undefined);
    else parts[parts.length - 1] = child;
  }
  if (parts.length > 2) return 'other';
  return { start: parts[0], end: parts[1] };
}
