/**
 * Python's meaning of truth, equality, order and `isinstance` on the constant values the folder
 * knows (values.ts), each answered only when it is certain: vit-pytorch's `pair(t)` (`t if
 * isinstance(t, tuple) else (t, t)`), `project_out = not (heads == 1 and dim_head == dim)`,
 * `exists(val)` (`val is not None`). A value whose Python type is not known for certain (a number
 * may have been written `2` or `2.0`; a config record may be a NamedTuple) gives undefined.
 */
/** A record with named attributes, e.g. the layer an init function receives as `m` (values.ts re-exports it). */
export interface RecordValue {
  readonly attributes: ReadonlyMap<string, Value>;
}

/** A constant the folder knows (values.ts re-exports it). */
export type Value = number | string | boolean | null | readonly Value[] | RecordValue;

/** Sequences the folder built from a tuple or a list display, and what Python's `+`, `*` and slices make of them. */
const TUPLES = new WeakSet<readonly Value[]>();
const LISTS = new WeakSet<readonly Value[]>();

export type SequenceKind = 'tuple' | 'list';

/** Marks a sequence the folder built as a tuple or a list (a fresh array: nothing else holds it). */
export function markSequence(items: readonly Value[], kind: SequenceKind | undefined): readonly Value[] {
  if (kind === 'tuple') TUPLES.add(items);
  else if (kind === 'list') LISTS.add(items);
  return items;
}

/** Whether a sequence is a tuple or a list, when the folder knows how it was built. */
export function sequenceKind(value: Value | undefined): SequenceKind | undefined {
  if (!Array.isArray(value)) return undefined;
  const items = value as readonly Value[];
  return TUPLES.has(items) ? 'tuple' : LISTS.has(items) ? 'list' : undefined;
}

function isRecordValue(value: Value): value is RecordValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `bool(v)`: None, False, 0, '' and empty sequences are false. A record (a dataclass or a NamedTuple) is not certain. */
export function truthy(value: Value | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  return undefined;
}

/** A number or a bool as Python's arithmetic sees it (True == 1). */
function numeric(value: Value): number | undefined {
  return typeof value === 'number' ? value : typeof value === 'boolean' ? Number(value) : undefined;
}

/** `a == b`: numbers and bools by value, strings by text, None only to None, tuples and lists item by item (a tuple never equals a list). */
export function pythonEquals(a: Value | undefined, b: Value | undefined, depth = 0): boolean | undefined {
  if (a === undefined || b === undefined || depth > 32) return undefined;
  if (isRecordValue(a) || isRecordValue(b)) return undefined;
  const x = numeric(a);
  const y = numeric(b);
  if (x !== undefined && y !== undefined) return x === y;
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) && Array.isArray(b)) {
    const ka = sequenceKind(a);
    const kb = sequenceKind(b);
    if (ka !== undefined && kb !== undefined && ka !== kb) return false;
    const xs = a as readonly Value[];
    const ys = b as readonly Value[];
    if (xs.length !== ys.length) return false;
    let all = true;
    for (let i = 0; i < xs.length; i++) {
      const same = pythonEquals(xs[i], ys[i], depth + 1);
      if (same === false) return false;
      if (same === undefined) all = false;
    }
    // Equal items: equal only when both are known to be the same kind of sequence.
    return all && ka !== undefined && ka === kb ? true : undefined;
  }
  // A number, a string, None and a sequence are never equal to a value of another of these kinds.
  return false;
}

/** `a < b` and its kin on numbers (and bools, which are numbers in Python); anything else is not certain. */
export function pythonOrder(op: string, a: Value | undefined, b: Value | undefined): boolean | undefined {
  if (a === undefined || b === undefined) return undefined;
  const x = numeric(a);
  const y = numeric(b);
  if (x === undefined || y === undefined) return undefined;
  switch (op) {
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    case '>=': return x >= y;
    default: return undefined;
  }
}

/** `a is None` / `a is not None` and the other identity tests the folder can decide (only against None). */
export function pythonIsNone(value: Value | undefined): boolean | undefined {
  return value === undefined ? undefined : value === null;
}

/** `needle in hay`: a substring of a string, or an item equal to one of a sequence's. */
export function pythonContains(hay: Value | undefined, needle: Value | undefined): boolean | undefined {
  if (hay === undefined || needle === undefined) return undefined;
  if (typeof hay === 'string') return typeof needle === 'string' ? hay.includes(needle) : undefined;
  if (!Array.isArray(hay)) return undefined;
  let all = true;
  for (const item of hay as readonly Value[]) {
    const same = pythonEquals(item, needle);
    if (same === true) return true;
    if (same === undefined) all = false;
  }
  return all ? false : undefined;
}

/** The builtin types `isinstance` is decided for. */
export const BUILTIN_TYPES: ReadonlySet<string> = new Set(['tuple', 'list', 'str', 'bool', 'int', 'float']);

/**
 * `isinstance(value, T)` for a builtin T: certain where the value's Python type is. A number's is
 * not always (`2` and `2.0` fold to the same number): `int` is certain only for a bool (an int in
 * Python) and a fraction (not one); `float` only for a fraction.
 */
export function pythonIsInstance(value: Value | undefined, type: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (isRecordValue(value)) return undefined;
  switch (type) {
    case 'tuple':
    case 'list': {
      if (!Array.isArray(value)) return false;
      const kind = sequenceKind(value);
      return kind === undefined ? undefined : kind === type;
    }
    case 'str':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'int':
      if (typeof value === 'boolean') return true;
      if (typeof value === 'number') return Number.isInteger(value) ? undefined : false;
      return false;
    case 'float':
      if (typeof value === 'number') return Number.isInteger(value) ? undefined : true;
      return false;
    default:
      return undefined;
  }
}
