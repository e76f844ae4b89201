/**
 * Quick-fix edits in the file's own style, per framework: Keras `kernel_initializer=`
 * (string or object, as the file already writes them, with its quotes), PyTorch
 * `nn.init.*_` calls (the existing call replaced, or a new one inserted right after the
 * layer's construction with its indentation), Flax `kernel_init=`. Names are spelled
 * with the file's own imports; when the file has no way to reach a name, no fix is
 * offered rather than one that needs an import the user did not write.
 */
import type { TextEdit } from '../../../findings';
import type { Activation, DropoutFixBuilder, DropoutOp, FixBuilder, InitChoice, InitSemantics } from '../../../ir';
import type { Span } from '../../../text';
import type { Imports } from '../frameworks/imports';
import { type KernelLayout, layoutInit, layoutSemantics } from '../frameworks/kernelLayout';
import type { Node } from '../syntax/syntax';
import { type DepthScaleSite, depthScalingEdits } from './depthScaling';
import { lineEndingOf } from '../../../lineEnding';

/** A number as Python source: short, exact enough for a scale. */
export function pyNumber(x: number): string {
  const text = Number(x.toPrecision(4)).toString();
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/**
 * Where a keyword argument lives in a constructor call, or where one would be added.
 * Plain data (the syntax tree is freed once the frontend returns).
 */
export interface KeywordSite {
  /** The keyword's current value, when written. */
  readonly value: { readonly span: Span; readonly isString: boolean } | undefined;
  /** Just past the last argument (`, key=value` goes there), or just inside `(` for an empty list. */
  readonly appendAt: { readonly offset: number; readonly first: boolean };
}

export function keywordSite(value: Node | undefined, args: Node): KeywordSite {
  const named = args.namedChildren.filter((c) => c.type !== 'comment');
  const last = named[named.length - 1];
  return {
    value: value ? { span: { start: value.startIndex, end: value.endIndex }, isString: value.type === 'string' } : undefined,
    appendAt: last ? { offset: last.endIndex, first: false } : { offset: args.startIndex + 1, first: true },
  };
}

export function setKeyword(site: KeywordSite, key: string, text: string): TextEdit[] {
  if (site.value) return [{ span: site.value.span, newText: text }];
  const at = site.appendAt.offset;
  return [{ span: { start: at, end: at }, newText: site.appendAt.first ? `${key}=${text}` : `, ${key}=${text}` }];
}

/** An `nn.init.*_(w, ...)` call as plain data, for replacing it or correcting its arguments. */
export interface TorchInitSite {
  readonly span: Span;
  readonly callee: string;
  /** The weight argument as written (`self.fc1.weight`). */
  readonly target: string;
  /** The `mode` argument as written, if any. */
  readonly mode: string | undefined;
  readonly argumentCount: number;
  /** How many layers the call set, read when a fix is built (a call in a loop sets several). */
  readonly applications: () => number;
}

export function torchInitSite(call: Node, applications: () => number, weight?: string): TorchInitSite | undefined {
  const args = call.childForFieldName('arguments');
  const callee = call.childForFieldName('function');
  if (!args || !callee) return undefined;
  const named = args.namedChildren.filter((c) => c.type !== 'comment');
  const positional = named.filter((c) => c.type !== 'keyword_argument');
  const first = positional[0];
  if (!first && weight === undefined) return undefined;
  const modeNode = named.find((c) => c.type === 'keyword_argument' && c.childForFieldName('name')?.text === 'mode')?.childForFieldName('value') ?? positional[2];
  return {
    span: { start: call.startIndex, end: call.endIndex }, callee: callee.text, target: weight ?? first!.text, mode: weight === undefined ? modeNode?.text : undefined,
    argumentCount: named.length, applications,
  };
}

/** How the file spells Keras initializer classes (`keras.initializers`, `tf.keras.initializers`, `initializers`). */
export function kerasInitializerPrefix(imports: Imports): string | undefined {
  for (const target of ['keras.initializers', 'tensorflow.keras.initializers', 'tf_keras.initializers']) {
    const s = imports.spellingOf(target);
    if (s) return s;
  }
  for (const target of ['keras', 'tensorflow.keras', 'tf_keras']) {
    const s = imports.spellingOf(target);
    if (s) return `${s}.initializers`;
  }
  const tf = imports.spellingOf('tensorflow');
  return tf ? `${tf}.keras.initializers` : undefined;
}

export interface KerasFixContext {
  readonly init: KeywordSite;
  readonly activation: KeywordSite;
  /** `kernel_initializer` or `depthwise_initializer`. */
  readonly initKeyword: string;
  readonly quote: string;
  /** Write objects (`HeNormal()`) rather than strings, as the file does. */
  readonly objectStyle: boolean;
  /** Objects by the snake-case functions (`he_normal()`, Keras 2 and TF 1), not the classes (`HeNormal()`). */
  readonly functionStyle?: boolean;
  readonly prefix: string | undefined;
  /** A depthwise or transposed kernel: fixes write the fan mode that is right there (kernelLayout.ts). */
  readonly layout?: KernelLayout;
}

const KERAS_STRING_ACTIVATIONS = new Set(['relu', 'tanh', 'sigmoid', 'linear', 'selu', 'elu', 'gelu', 'silu', 'softmax', 'softplus', 'relu6', 'mish']);

export class KerasFixBuilder implements FixBuilder {
  constructor(private readonly context: KerasFixContext) {}

  private spell(choice: InitChoice): { text: string; object: boolean } | undefined {
    const { quote, objectStyle, functionStyle, prefix, layout } = this.context;
    const named = (snake: string, camel: string) =>
      objectStyle && prefix ? { text: `${prefix}.${functionStyle ? snake : camel}()`, object: true } : { text: `${quote}${snake}${quote}`, object: false };
    if (layout) {
      const init = layoutInit(choice, layout);
      if (!init) return undefined;
      if (init.plainGlorot) return named('glorot_uniform', 'GlorotUniform');
      if (!prefix) return undefined;
      return { text: `${prefix}.VarianceScaling(scale=${pyNumber(init.scale)}, mode=${quote}${init.mode}${quote}, distribution=${quote}${init.distribution}${quote})`, object: true };
    }
    switch (choice.family) {
      case 'he_normal':
        if (choice.negativeSlope === undefined || choice.negativeSlope === 0) return named('he_normal', 'HeNormal');
        if (!prefix || !Number.isFinite(choice.negativeSlope)) return undefined;
        return { text: `${prefix}.VarianceScaling(scale=${pyNumber(2 / (1 + choice.negativeSlope ** 2))}, mode=${quote}fan_in${quote}, distribution=${quote}truncated_normal${quote})`, object: true };
      case 'glorot_uniform':
        return named('glorot_uniform', 'GlorotUniform');
      case 'lecun_normal':
        return named('lecun_normal', 'LecunNormal');
      case 'variance_scaling': {
        if (!prefix || !(choice.scale > 0) || !Number.isFinite(choice.scale)) return undefined;
        const dist = choice.distribution;
        return { text: `${prefix}.VarianceScaling(scale=${pyNumber(choice.scale)}, mode=${quote}${choice.mode}${quote}, distribution=${quote}${dist}${quote})`, object: true };
      }
      case 'framework_default':
        return undefined;
    }
  }

  describeInitializer(choice: InitChoice): string {
    return this.spell(choice)?.text ?? (choice.family === 'framework_default' ? 'glorot_uniform' : choice.family);
  }

  semanticsOf(choice: InitChoice): InitSemantics | undefined {
    return this.context.layout ? layoutSemantics(choice, this.context.layout) : undefined;
  }

  setInitializer(choice: InitChoice): readonly TextEdit[] | undefined {
    const spelled = this.spell(choice);
    if (!spelled) return undefined;
    return setKeyword(this.context.init, this.context.initKeyword, spelled.text);
  }

  setActivation(activation: Activation): readonly TextEdit[] | undefined {
    const site = this.context.activation;
    if (!site.value || !site.value.isString || activation.param !== undefined) return undefined;
    if (!KERAS_STRING_ACTIVATIONS.has(activation.name)) return undefined;
    return [{ span: site.value.span, newText: `${this.context.quote}${activation.name}${this.context.quote}` }];
  }

  setKaimingArguments(): readonly TextEdit[] | undefined {
    return undefined;
  }
}

export interface TorchFixContext {
  readonly source: string;
  /** `nn.init` as the file spells it. */
  readonly initPrefix: string | undefined;
  readonly quote: string;
  /** A transposed conv's swapped layout: fixes write `mode="fan_out"` (kernelLayout.ts). */
  readonly layout?: KernelLayout;
}

export class TorchFixBuilder implements FixBuilder {
  /** How the weight is named where a new init call would go (`self.fc1.weight`); set where the layer is assigned. */
  target: string | undefined;
  /** Just past the statement that builds the layer, with that statement's indentation. */
  insertAt: { readonly offset: number; readonly indent: string } | undefined;
  /** How many layers this constructor call built, read when a fix is built (a loop builds several: one edit cannot fix one of them). */
  constructions: () => number = () => 1;
  /** The init call that last set this layer's weight. */
  initCall: TorchInitSite | undefined;
  /** The weight's init was set by code that also sets other layers (apply, a loop): no edit is safe. */
  sharedInit = false;
  /** The fixed-std init call that last set this weight, as IW402's fix reads it (depthScaling.ts); undefined for any other init. */
  depthScale: DepthScaleSite | undefined;

  constructor(private readonly context: TorchFixContext) {}

  private call(choice: InitChoice, target: string): string | undefined {
    const { initPrefix: p, quote: q, layout } = this.context;
    if (!p) return undefined;
    if (layout) return this.layoutCall(choice, target, layout);
    switch (choice.family) {
      case 'he_normal':
        if (choice.negativeSlope === undefined || choice.negativeSlope === 0) return `${p}.kaiming_normal_(${target}, nonlinearity=${q}relu${q})`;
        if (!Number.isFinite(choice.negativeSlope)) return undefined;
        return `${p}.kaiming_normal_(${target}, a=${pyNumber(choice.negativeSlope)}, nonlinearity=${q}leaky_relu${q})`;
      case 'glorot_uniform':
        return `${p}.xavier_uniform_(${target})`;
      case 'lecun_normal':
        return `${p}.kaiming_normal_(${target}, nonlinearity=${q}linear${q})`;
      case 'variance_scaling':
      case 'framework_default':
        return undefined;
    }
  }

  /** He and LeCun as kaiming_normal_ in the layout's mode; Glorot as xavier (symmetric); nothing else is spelled. */
  private layoutCall(choice: InitChoice, target: string, layout: KernelLayout): string | undefined {
    const { initPrefix: p, quote: q } = this.context;
    const init = layoutInit(choice, layout);
    if (!init) return undefined;
    if (init.plainGlorot) return `${p}.xavier_uniform_(${target})`;
    if (init.mode === 'fan_avg') return undefined;
    // kaiming_*'s default mode is fan_in: written only when it is not.
    const mode = init.mode === 'fan_in' ? '' : `mode=${q}${init.mode}${q}, `;
    if (choice.family === 'lecun_normal') return `${p}.kaiming_normal_(${target}, ${mode}nonlinearity=${q}linear${q})`;
    if (choice.family !== 'he_normal') return undefined;
    const slope = choice.negativeSlope ?? 0;
    return slope === 0
      ? `${p}.kaiming_normal_(${target}, ${mode}nonlinearity=${q}relu${q})`
      : `${p}.kaiming_normal_(${target}, a=${pyNumber(slope)}, ${mode}nonlinearity=${q}leaky_relu${q})`;
  }

  semanticsOf(choice: InitChoice): InitSemantics | undefined {
    return this.context.layout ? layoutSemantics(choice, this.context.layout) : undefined;
  }

  describeInitializer(choice: InitChoice): string {
    const layout = this.context.layout;
    const q = this.context.quote;
    if (layout && (choice.family === 'he_normal' || choice.family === 'lecun_normal')) {
      const init = layoutInit(choice, layout);
      const mode = init && init.mode !== 'fan_in' ? `mode=${q}${init.mode}${q}, ` : '';
      if (choice.family === 'lecun_normal') return `kaiming_normal_(${mode}nonlinearity=${q}linear${q})`;
      return choice.negativeSlope ? `kaiming_normal_(a=${pyNumber(choice.negativeSlope)}, ${mode}nonlinearity=${q}leaky_relu${q})` : `kaiming_normal_(${mode}nonlinearity=${q}relu${q})`;
    }
    switch (choice.family) {
      case 'he_normal':
        return choice.negativeSlope ? `kaiming_normal_(a=${pyNumber(choice.negativeSlope)}, nonlinearity=${q}leaky_relu${q})` : `kaiming_normal_(nonlinearity=${q}relu${q})`;
      case 'glorot_uniform':
        return 'xavier_uniform_';
      case 'lecun_normal':
        return `kaiming_normal_(nonlinearity=${q}linear${q})`;
      case 'variance_scaling':
        // Said in the distribution the file used: U(±b) has variance b²/3.
        return choice.distribution === 'uniform'
          ? `uniform_(±sqrt(${pyNumber(3 * choice.scale)}/${choice.mode}))`
          : `normal_(std=sqrt(${pyNumber(choice.scale)}/${choice.mode}))`;
      case 'framework_default':
        return 'kaiming_uniform_(a=sqrt(5))';
    }
  }

  setInitializer(choice: InitChoice): readonly TextEdit[] | undefined {
    if (this.sharedInit) return undefined;
    const call = this.ownInitCall();
    if (call) {
      const text = this.call(choice, call.target);
      return text ? [{ span: call.span, newText: text }] : undefined;
    }
    if (this.initCall || this.constructions() !== 1 || !this.target || !this.insertAt) return undefined;
    const text = this.call(choice, this.target);
    if (!text) return undefined;
    // The file's own line ending: CRLF, CR alone (old Mac files, which CPython reads too) or LF.
    const eol = lineEndingOf(this.context.source);
    return [{ span: { start: this.insertAt.offset, end: this.insertAt.offset }, newText: `${eol}${this.insertAt.indent}${text}` }];
  }

  /** The `nn.init.*_(w, ...)` call that sets this layer's weight and no other's. */
  private ownInitCall(): TorchInitSite | undefined {
    const call = this.initCall;
    if (!call || call.applications() !== 1 || this.sharedInit) return undefined;
    return call;
  }

  setActivation(): readonly TextEdit[] | undefined {
    return undefined;
  }

  setKaimingArguments(args: { nonlinearity: string; a?: number }, reach = 1): readonly TextEdit[] | undefined {
    // A call in a loop over layers sets several weights: it may change only when the rule
    // found every one of them wanting the same arguments (issue 13, item 9).
    // Shared init code (a loop over layers, apply(fn)) may change here: the rule saw every
    // layer the call sets and all want these arguments, and the count proves it reaches no other.
    const call = this.initCall;
    if (!call || (this.sharedInit && reach === 1) || call.applications() !== reach) return undefined;
    if (!/^[a-z_]+$/.test(args.nonlinearity) || (args.a !== undefined && !Number.isFinite(args.a))) return undefined;
    if (call.argumentCount > 4) return undefined;
    const parts = [call.target];
    if (args.a !== undefined) parts.push(`a=${pyNumber(args.a)}`);
    if (call.mode !== undefined) parts.push(`mode=${call.mode}`);
    parts.push(`nonlinearity=${this.context.quote}${args.nonlinearity}${this.context.quote}`);
    return [{ span: call.span, newText: `${call.callee}(${parts.join(', ')})` }];
  }

  /**
   * `group`: the branch outputs set by the same init call as this layer (this one included);
   * `sharing`: how many layers of the network that call sets. Divides the call's std where it is
   * written when it sets only them, else inserts nanoGPT's named_parameters loop after the apply.
   */
  scaleStdForDepth(branches: number, group: readonly FixBuilder[] = [this], sharing = group.length): readonly TextEdit[] | undefined {
    const members = group.map((member) => (member instanceof TorchFixBuilder ? member.depthScale : undefined));
    return depthScalingEdits(members, branches, sharing);
  }

  describeKaimingArguments(args: { nonlinearity: string; a?: number }): string {
    const q = this.context.quote;
    return args.a !== undefined ? `nonlinearity=${q}${args.nonlinearity}${q}, a=${pyNumber(args.a)}` : `nonlinearity=${q}${args.nonlinearity}${q}`;
  }
}

export interface FlaxFixContext {
  readonly init: KeywordSite;
  /** `nn.initializers` / `nnx.initializers` / `jax.nn.initializers` as the file spells it. */
  readonly prefix: string | undefined;
  readonly quote: string;
  /** A ConvTranspose with `transpose_kernel=True`: fixes swap the fan mode (kernelLayout.ts). */
  readonly layout?: KernelLayout;
}

export class FlaxFixBuilder implements FixBuilder {
  constructor(private readonly context: FlaxFixContext) {}

  private spell(choice: InitChoice): string | undefined {
    const { prefix: p, quote: q, layout } = this.context;
    if (!p) return undefined;
    if (layout) {
      const init = layoutInit(choice, layout);
      if (!init) return undefined;
      if (init.plainGlorot) return `${p}.glorot_uniform()`;
      const dist = init.distribution === 'untruncated_normal' ? 'normal' : init.distribution;
      return `${p}.variance_scaling(${pyNumber(init.scale)}, ${q}${init.mode}${q}, ${q}${dist}${q})`;
    }
    switch (choice.family) {
      case 'he_normal':
        if (choice.negativeSlope === undefined || choice.negativeSlope === 0) return `${p}.he_normal()`;
        if (!Number.isFinite(choice.negativeSlope)) return undefined;
        return `${p}.variance_scaling(${pyNumber(2 / (1 + choice.negativeSlope ** 2))}, ${q}fan_in${q}, ${q}truncated_normal${q})`;
      case 'glorot_uniform':
        return `${p}.glorot_uniform()`;
      case 'lecun_normal':
        return `${p}.lecun_normal()`;
      case 'variance_scaling': {
        if (!(choice.scale > 0) || !Number.isFinite(choice.scale)) return undefined;
        const dist = choice.distribution === 'untruncated_normal' ? 'normal' : choice.distribution;
        return `${p}.variance_scaling(${pyNumber(choice.scale)}, ${q}${choice.mode}${q}, ${q}${dist}${q})`;
      }
      case 'framework_default':
        return undefined;
    }
  }

  describeInitializer(choice: InitChoice): string {
    return this.spell(choice) ?? (choice.family === 'framework_default' ? 'lecun_normal()' : `${choice.family}()`);
  }

  semanticsOf(choice: InitChoice): InitSemantics | undefined {
    return this.context.layout ? layoutSemantics(choice, this.context.layout) : undefined;
  }

  setInitializer(choice: InitChoice): readonly TextEdit[] | undefined {
    const text = this.spell(choice);
    return text ? setKeyword(this.context.init, 'kernel_init', text) : undefined;
  }

  setActivation(): readonly TextEdit[] | undefined {
    return undefined;
  }

  setKaimingArguments(): readonly TextEdit[] | undefined {
    return undefined;
  }
}

/** `Dropout` → `AlphaDropout` in the constructor's own spelling (Keras and PyTorch both have it). */
export function pythonDropoutFixes(source: string): DropoutFixBuilder {
  return {
    useAlphaDropout(op: DropoutOp): readonly TextEdit[] | undefined {
      if (op.alpha) return undefined;
      const kind: Span = op.kindSpan;
      if (source.slice(kind.start, kind.end) !== 'Dropout') return undefined;
      return [{ span: kind, newText: 'AlphaDropout' }];
    },
  };
}
