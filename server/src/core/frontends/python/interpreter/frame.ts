/**
 * The interpreter's runtime state: the values it tracks (tensors, modules, lists, the
 * file's classes and functions) and a frame (local names, the scope constants are read
 * in, `self`, the trace tensors are recorded on).
 */
import type { CatalogContext } from '../frameworks/catalog';
import type { ApplySite } from '../fixes/depthScaling';
import type { InstanceModule, ModuleValue, WeightModule } from './modules';
import type { Node } from '../syntax/syntax';
import type { ParameterTable } from './parameterTables';
import type { Tensor, Trace } from './trace';
import type { Scope } from './values';

/** A runtime value: a tensor flowing through the model, a module, or a Python list of them. */
export type RValue =
  | { readonly t: 'tensor'; readonly tensor: Tensor }
  | { readonly t: 'module'; readonly module: ModuleValue }
  | { readonly t: 'list'; readonly items: RValue[] }
  /** A class of the file's own (called to instantiate it). */
  | { readonly t: 'class'; readonly definition: Node; readonly name: string }
  | { readonly t: 'function'; readonly definition: Node; readonly scope: Scope; readonly self: InstanceModule | undefined }
  /** A learned tensor a module holds (`nn.Parameter(torch.randn(1, n + 1, d))`): parameterTables.ts. */
  | { readonly t: 'table'; readonly table: ParameterTable }
  | undefined;

/** An `apply(fn)` being run: where IW402's loop would go (undefined: nowhere certain), its scope, the weights' names (depthScaleSites.ts). */
export interface AppliedContext {
  readonly site: ApplySite | undefined;
  readonly scope: Scope;
  readonly names: ReadonlyMap<WeightModule, string>;
}

/** One `name = <module>` the frame ran, in order (a script that rebinds `model` builds several models). */
export interface ModuleBinding {
  readonly name: string;
  readonly statement: Node;
  readonly module: ModuleValue;
}

export class Frame {
  readonly env = new Map<string, RValue>();
  /**
   * Every module bound to a plain name by code this frame ran for certain (not a loop's
   * inner frame, not an undecided branch, which is never run): parse.ts reports each model
   * binding at its own statement (issue 11 §5).
   */
  readonly bindings: ModuleBinding[] = [];
  /** The layer catalog's context for this frame's scope (interpreter.ts makes it once). */
  catalog: CatalogContext | undefined;
  /** Set in the frame of a function `apply(fn)` runs: where IW402's loop would follow the apply (depthScaleSites.ts). */
  applied: AppliedContext | undefined;
  /**
   * The module script's (or a builder unit's) frame: literals it assigns are followed in
   * statement order, and `scope` moves on after each (scriptOrder.ts). Not copied to child frames.
   */
  scriptOrder: Set<string> | undefined;
  /**
   * Passes of the loops this body is nested in, multiplied (1 outside any loop): a nest unrolled
   * past MAX_UNROLL passes in all is read as an undecided loop, as one loop that long is
   * (interpreter.ts forLoop). A called function's body starts again at 1.
   */
  unrolled = 1;
  constructor(
    /** Replaced in a script-order frame as the script assigns literals (scriptOrder.ts). */
    public scope: Scope,
    readonly self: InstanceModule | undefined,
    /** Replaced by a fresh one at a script's next `keras.Input` once a Keras model was built on it (interpreter.ts). */
    public trace: Trace | undefined,
    /** Init code run for several modules (apply(fn), a loop over modules()): its calls are shared. */
    readonly shared: boolean,
    readonly depth: number,
  ) {}

  lookup(name: string): RValue {
    return this.env.get(name);
  }

  child(scope: Scope): Frame {
    const f = new Frame(scope, this.self, this.trace, this.shared, this.depth);
    f.applied = this.applied;
    f.unrolled = this.unrolled;
    // forEach, not for…of: no [key, value] array per entry (issue 16).
    this.env.forEach((v, k) => f.env.set(k, v));
    return f;
  }
}
