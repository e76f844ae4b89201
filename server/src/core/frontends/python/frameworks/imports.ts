/**
 * What the file's imports bind, so `nn.Linear`, `torch.nn.Linear` and `from torch.nn
 * import Linear; Linear` all read as `torch.nn.Linear`, and `nn` means Flax in a Flax
 * file. Names are canonicalised: tf.keras / tf_keras → keras, Flax's re-exported
 * initializers → jax.nn.initializers.
 */
import type { Framework } from '../../../ir';
import { type Node } from '../syntax/syntax';

const PREFIXES: readonly (readonly [string, string])[] = [
  ['tensorflow.keras.', 'keras.'],
  // TF 1's layers (`tf.layers.Dense`, `tf.compat.v1.layers.dense`): Keras's classes, and the
  // functional forms frameworks/tf1Layers.ts reads.
  ['tensorflow.compat.v1.layers.', 'keras.layers.'],
  ['tensorflow.layers.', 'keras.layers.'],
  ['tensorflow.python.keras.', 'keras.'],
  ['tf_keras.', 'keras.'],
  ['keras.src.', 'keras.'],
  ['flax.linen.initializers.', 'jax.nn.initializers.'],
  ['flax.nnx.initializers.', 'jax.nn.initializers.'],
  ['flax.nnx.nn.initializers.', 'jax.nn.initializers.'],
  ['jax.initializers.', 'jax.nn.initializers.'],
  ['torch.nn.modules.', 'torch.nn.'],
  // Keras 2's module paths (`from keras.layers.convolutional import Conv2D`) and TF 2.x's
  // experimental namespace (`tf.keras.layers.experimental.preprocessing.Rescaling`): the same
  // classes Keras 3 exports from keras.layers (issue 11 §3).
  ...['core', 'convolutional', 'advanced_activations', 'normalization', 'merge', 'pooling', 'embeddings', 'noise',
    'experimental.preprocessing', 'experimental'].map((path) => [`keras.layers.${path}.`, 'keras.layers.'] as const),
];

export class Imports {
  private readonly aliases = new Map<string, string>();
  // canonical() and spellingOf() run for every call the interpreter reads; the aliases are
  // fixed once the imports are read, so each answer is remembered.
  private readonly canonicalNames = new Map<string, string>();
  private readonly spellings = new Map<string, string | undefined>();
  readonly frameworks = new Set<Framework>();

  /** Reads the module's statements (syntax.ts moduleStatements). */
  constructor(statements: readonly Node[]) {
    for (const statement of statements) this.readStatement(statement, 0);
  }

  /** Imports at module level, including inside `try:`/`if` blocks (optional-dependency idioms). */
  private readStatement(node: Node, depth: number): void {
    if (node.type === 'import_statement') {
      for (const child of node.namedChildren) {
        if (child.type === 'dotted_name') this.bind(child.text.split('.')[0]!, child.text.split('.')[0]!, child.text);
        else if (child.type === 'aliased_import') {
          const name = child.childForFieldName('name');
          const alias = child.childForFieldName('alias');
          if (name && alias) this.bind(alias.text, name.text, name.text);
        }
      }
    } else if (node.type === 'import_from_statement') {
      const module = node.childForFieldName('module_name');
      if (!module || module.type !== 'dotted_name') return;
      for (const child of node.childrenForFieldName('name')) {
        if (child.type === 'dotted_name') this.bind(child.text, `${module.text}.${child.text}`, module.text);
        else if (child.type === 'aliased_import') {
          const name = child.childForFieldName('name');
          const alias = child.childForFieldName('alias');
          if (name && alias) this.bind(alias.text, `${module.text}.${name.text}`, module.text);
        }
      }
    } else if (depth < 2 && (node.type === 'try_statement' || node.type === 'if_statement' || node.type === 'block' ||
      node.type === 'except_clause' || node.type === 'else_clause')) {
      for (const child of node.namedChildren) this.readStatement(child, depth + 1);
    }
  }

  private bind(local: string, target: string, module: string): void {
    this.aliases.set(local, target);
    const root = module.split('.')[0];
    if (root === 'torch' || root === 'torchvision') this.frameworks.add('pytorch');
    else if (root === 'keras' || root === 'tensorflow' || root === 'tf_keras') this.frameworks.add('keras');
    else if (root === 'flax' || root === 'jax') this.frameworks.add('flax');
  }

  /** Local names bound to something from a deep-learning framework (`nn`, `F`, `layers`, `keras`, `jnp`, ...). */
  frameworkNames(): string[] {
    const roots = ['torch', 'torchvision', 'keras', 'tensorflow', 'tf_keras', 'flax', 'jax'];
    return [...this.aliases].filter(([, target]) => roots.includes(target.split('.')[0]!)).map(([local]) => local);
  }

  /** True when `local` names something imported from the given module path (or below it). */
  binds(local: string): boolean {
    return this.aliases.has(local);
  }

  /** The canonical dotted name of an expression written as `a.b.c`. */
  canonical(dotted: string): string {
    let name = this.canonicalNames.get(dotted);
    if (name === undefined) {
      name = this.readCanonical(dotted);
      this.canonicalNames.set(dotted, name);
    }
    return name;
  }

  private readCanonical(dotted: string): string {
    const dot = dotted.indexOf('.');
    const head = dot < 0 ? dotted : dotted.slice(0, dot);
    const rest = dot < 0 ? '' : dotted.slice(dot);
    let name = (this.aliases.get(head) ?? head) + rest;
    if (name.startsWith('tf.')) name = `tensorflow.${name.slice(3)}`;
    // Indexed: no iterator result or pair destructured per step in V8's baseline tiers (issue 16).
    for (let i = 0; i < PREFIXES.length; i++) {
      const prefix = PREFIXES[i]![0];
      if (name.startsWith(prefix)) name = PREFIXES[i]![1] + name.slice(prefix.length);
    }
    return name;
  }

  /** The local spelling that reaches `target` (e.g. `nn` for torch.nn), if the file has one. */
  spellingOf(target: string): string | undefined {
    if (this.spellings.has(target)) return this.spellings.get(target);
    const spelling = this.readSpelling(target);
    this.spellings.set(target, spelling);
    return spelling;
  }

  private readSpelling(target: string): string | undefined {
    for (const [local, full] of this.aliases) {
      if (full === target) return local;
    }
    for (const [local, full] of this.aliases) {
      if (target.startsWith(`${full}.`)) return local + target.slice(full.length);
    }
    return undefined;
  }
}
