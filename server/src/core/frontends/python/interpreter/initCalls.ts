/**
 * PyTorch initialisation as the program runs it: `nn.init.*_(w, ...)` calls, in-place
 * tensor methods (`w.data.normal_(0, 0.02)`), `module.apply(fn)` and loops over
 * `modules()`. Each sets the weight's init in program order (a later call wins), and
 * remembers which call site set which layers, so a fix edits a call only when it sets
 * that one layer.
 */
import { torchInitSite } from '../fixes/fixBuilder';
import type { Imports } from '../frameworks/imports';
import { readTorchInitCall, type InitRead } from '../frameworks/initializers';
import type { UnknownNames } from '../frameworks/unknownNames';
import { Frame, type RValue } from './frame';
import { allModules, type ModuleValue, type WeightModule } from './modules';
import { bodyOf, type CallParts, type Node, spanOf } from '../syntax/syntax';
import type { SiteCounts } from '../units/siteCounts';
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
  expression(node: Node, frame: Frame): RValue;
  /** Runs a function body (apply(fn)'s fn) for its effects: it has no tensor outputs. */
  run(statements: readonly Node[], frame: Frame, outputs: undefined): void;
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

  torchInit(call: CallParts, canonical: string, frame: Frame): void {
    const first = call.positional[0] ?? call.keywords.get('tensor')?.value;
    if (!first) return;
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
      }
    }
  }

  unknownInit(module: ModuleValue, call: Node): void {
    if (module.kind !== 'weight') return;
    module.init = { semantics: undefined, label: 'set by a function InitWise cannot follow', explicit: true, acceptedDefault: false, span: spanOf(call) };
    if (module.torchFixes) module.torchFixes.sharedInit = true;
  }

  /** `module.apply(fn)`: fn runs on every sub-module, children first (PyTorch order), then the module itself. */
  applyFunction(root: ModuleValue, fn: Extract<RValue, { t: 'function' }>, frame: Frame): void {
    const definition = fn.definition;
    const params = (definition.childForFieldName('parameters')?.namedChildren ?? []).filter((p) => p.text !== 'self');
    const param = params[0];
    const name = param ? (param.type === 'identifier' ? param.text : (param.childForFieldName('name') ?? param.namedChild(0))?.text) : undefined;
    if (name === undefined) return;
    const modules = allModules(root).reverse();
    for (const module of modules) {
      const scope = new Scope(fn.scope);
      scope.bindValue(name, module.record);
      const inner = new Frame(scope, fn.self, undefined, true, frame.depth + 1);
      inner.env.set(name, { t: 'module', module });
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
