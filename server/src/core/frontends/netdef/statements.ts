/**
 * The statements of the language: what each takes, for validation, did-you-mean and
 * the "as in …" part of messages. docs/netdef.md describes the same table for users.
 */
import type { OptionAst } from './ast';
import { ATTENTION_OPTIONS } from './attention';

export interface StatementSpec {
  readonly keyword: string;
  /** Required positional values, named as the reference names them. */
  readonly positionals: readonly string[];
  readonly options: readonly string[];
  /** Owns a `{ … }` block. */
  readonly block: boolean;
  readonly example: string;
}

const LAYER_OPTIONS = ['activation', 'init', 'bias', 'use_bias'];
const CONV_OPTIONS = [...LAYER_OPTIONS, 'kernel', 'stride', 'padding', 'groups'];
/** Recurrent layers (frontends/netdef/recurrent.ts): `init` is the input kernel, `recurrent_init` the recurrent one. */
const RECURRENT_OPTIONS = ['init', 'recurrent_init', 'bias', 'use_bias', 'steps', 'bidirectional'];

function spec(keyword: string, positionals: readonly string[], options: readonly string[], example: string, block = false): StatementSpec {
  return { keyword, positionals, options, block, example };
}

const SPECS: readonly StatementSpec[] = [
  spec('network', ['NAME'], ['framework'], 'network mlp framework=pytorch {', true),
  spec('input', ['SHAPE'], ['tokens'], 'input 784'),
  spec('dense', ['UNITS'], LAYER_OPTIONS, 'dense 128 activation=relu'),
  spec('conv1d', ['FILTERS'], CONV_OPTIONS, 'conv1d 64 kernel=3'),
  spec('conv2d', ['FILTERS'], CONV_OPTIONS, 'conv2d 64 kernel=3x3'),
  spec('conv3d', ['FILTERS'], CONV_OPTIONS, 'conv3d 64 kernel=3x3x3'),
  spec('embedding', ['VOCAB', 'DIM'], ['init'], 'embedding 10000 128'),
  spec('rnn', ['UNITS'], [...RECURRENT_OPTIONS, 'activation'], 'rnn 128 activation=tanh recurrent_init=orthogonal'),
  spec('lstm', ['UNITS'], [...RECURRENT_OPTIONS, 'forget_bias'], 'lstm 128 forget_bias=1'),
  spec('gru', ['UNITS'], RECURRENT_OPTIONS, 'gru 128'),
  spec('activation', ['ACT'], [], 'activation relu'),
  spec('batchnorm', [], [], 'batchnorm'),
  spec('layernorm', [], [], 'layernorm'),
  spec('rmsnorm', [], [], 'rmsnorm'),
  spec('attention', ['HEADS'], ATTENTION_OPTIONS, 'attention 12 causal=true'),
  spec('dropout', ['P'], [], 'dropout 0.1'),
  spec('alphadropout', ['P'], [], 'alphadropout 0.1'),
  spec('flatten', [], [], 'flatten'),
  spec('repeat', ['N'], [], 'repeat 4 {', true),
  spec('residual', [], ['scale'], 'residual scale=0.5 {', true),
  spec('memory', [], ['tokens'], 'memory tokens=64 {', true),
];

export const STATEMENTS: ReadonlyMap<string, StatementSpec> = new Map(SPECS.map((s) => [s.keyword, s]));

/** Every statement keyword, for did-you-mean. */
export const STATEMENT_KEYWORDS: readonly string[] = SPECS.map((s) => s.keyword);

/** A statement's options after checking them against its spec (unknown and repeated keys reported). */
export interface Checked {
  readonly options: ReadonlyMap<string, OptionAst>;
  /** Some option key was unknown: it was probably meant as a missing one, so that one is not reported again. */
  readonly unknownOption: boolean;
}
