/**
 * Class inheritance, within a module and across the workspace's modules: `class Net(BaseNet)`
 * inherits BaseNet's constructor, forward pass and helpers (`_make_layer`, `_init_weights`),
 * `super().__init__(...)` runs the base's constructor on the same instance. Methods are
 * looked up in Python's order for the hierarchies model code writes (depth-first, left to
 * right, each class once: the C3 order of every hierarchy without a diamond).
 *
 * A base InitWise cannot read (a third-party class, a name it cannot resolve) may define
 * any method: a method not found in the readable classes is then unknown, never "absent"
 * — its init code may set the layers (ClassBase 'unknown').
 */
import type { ClassInfo } from './moduleContext';
import type { Node } from '../syntax/syntax';
import { Scope } from './values';

/** Deeper hierarchies are not followed (their remaining bases count as unreadable). */
const MAX_DEPTH = 16;

/** A method found in a class of the hierarchy, with the class that defines it. */
export interface FoundMethod {
  readonly definition: Node;
  readonly owner: ClassInfo;
}

interface LookupOrder { readonly classes: readonly ClassInfo[]; readonly unreadable: boolean }

/**
 * Each class's lookup order, made once: it depends only on the bases, which a ClassInfo
 * reads once (every method lookup, instantiation and `super()` asks for it).
 */
const lookupOrders = new WeakMap<ClassInfo, LookupOrder>();

/** The classes of `cls`'s hierarchy in method-lookup order, and whether some base cannot be read. */
export function lookupOrder(cls: ClassInfo): LookupOrder {
  let order = lookupOrders.get(cls);
  if (!order) {
    order = readLookupOrder(cls);
    lookupOrders.set(cls, order);
  }
  return order;
}

function readLookupOrder(cls: ClassInfo): LookupOrder {
  const classes: ClassInfo[] = [];
  let unreadable = false;
  const visit = (c: ClassInfo, depth: number) => {
    if (classes.includes(c)) return;
    if (depth > MAX_DEPTH) {
      unreadable = true;
      return;
    }
    classes.push(c);
    for (const base of c.bases) {
      // A library base's methods are not read (only its constructor: interpreter.ts libraryBaseInit).
      if (base === 'framework') continue;
      if (base === 'unknown' || 'library' in base) unreadable = true;
      else visit(base, depth + 1);
    }
  };
  visit(cls, 0);
  return { classes, unreadable };
}

/**
 * The method `name` of `cls` (its own or inherited); 'unknown' when no readable class
 * defines it but a base InitWise cannot read might; undefined when no class defines it
 * (the framework's own method, or none). With `after`, the lookup starts past that class
 * (`super().name` written in `after`).
 */
export function findMethod(cls: ClassInfo, name: string, after?: ClassInfo): FoundMethod | 'unknown' | undefined {
  const order = lookupOrder(cls);
  let classes = order.classes;
  if (after) {
    const at = classes.indexOf(after);
    // `super()` in a class that is not in the instance's hierarchy: nothing certain.
    if (at < 0) return 'unknown';
    classes = classes.slice(at + 1);
  }
  for (const c of classes) {
    const definition = c.methods.get(name);
    if (definition) return { definition, owner: c };
  }
  return order.unreadable ? 'unknown' : undefined;
}

/** True when `cls` or a readable base defines `name`, or an unreadable base may. */
export function mayHaveMethod(cls: ClassInfo, name: string): boolean {
  return findMethod(cls, name) !== undefined;
}

/** The classes whose class-level fields (Flax/dataclass fields) the instance has: the most basic first, as dataclasses order them. */
export function fieldOrder(cls: ClassInfo): readonly ClassInfo[] {
  return [...lookupOrder(cls).classes].reverse();
}

/**
 * The scope a method inherited from another module runs in: `self.*` is the instance's
 * (whichever class set it), every other name is read in the module that wrote the method
 * (its constants and imports, as Python resolves them).
 */
export class InheritedScope extends Scope {
  constructor(private readonly instance: Scope, home: Scope) {
    super(home);
  }

  override lookup(name: string): ReturnType<Scope['lookup']> {
    return name.startsWith('self.') ? this.instance.lookup(name) : super.lookup(name);
  }
}
