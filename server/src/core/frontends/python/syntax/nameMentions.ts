/**
 * Where a text mentions one of a set of names as a whole identifier (issue 16): the
 * pre-pass's "does this function name a framework or a model" (parse.ts), the order root
 * classes run in (units.ts) and which classes are parts of others (components.ts).
 *
 * The names are one regular expression of plain alternatives, longest first, with ASCII
 * word characters ruled out on either side; whether a match stands alone (no identifier
 * character — Unicode letter, digit, `_` — on either side) is checked here, around each match. A pattern that says it itself, with Unicode
 * property classes and a lookbehind (`(?<![\p{L}\p{N}_])(?:a|b)(?![\p{L}\p{N}_])`, 'u'),
 * finds the same matches, but V8 compiles it afresh for every new set of names at
 * ~0.8 ms each while its code is cold (the Unicode classes), and every file of a CLI run
 * has its own names: on torchvision's `models/` a cold `initwise check` took 3–4 % less CPU
 * without them. The ASCII pattern compiles in microseconds and scans as fast.
 */

const IDENTIFIER_CHAR = /^[\p{L}\p{N}_]$/u;
const NOT_IDENTIFIER_CHARS = /[^\p{L}\p{N}_]/gu;

/** A Unicode letter, digit or underscore (what may continue a Python identifier, as the rules here count it). */
function isIdentifierChar(codePoint: number): boolean {
  if (codePoint < 128) {
    return (codePoint >= 97 && codePoint <= 122) || (codePoint >= 65 && codePoint <= 90) || (codePoint >= 48 && codePoint <= 57) || codePoint === 95;
  }
  return IDENTIFIER_CHAR.test(String.fromCodePoint(codePoint));
}

/** The code point that ends just before `index` (a surrogate pair read whole), or undefined at the start. */
function codePointBefore(text: string, index: number): number | undefined {
  if (index <= 0) return undefined;
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = text.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
  }
  return low;
}

export interface NameMention {
  readonly name: string;
  readonly index: number;
}

export class NameMentions {
  private readonly pattern: RegExp | undefined;
  private readonly notAfter: ReadonlySet<number>;

  /**
   * `names` keep only their identifier characters (a dotted alias `torch.nn` is looked for
   * as `torchnn`, as before); empty ones are dropped. `notAfter`: characters that may not
   * precede a mention either (`.`: an attribute's tail is not a mention of a name).
   */
  constructor(names: Iterable<string>, notAfter = '') {
    const cleaned = new Set<string>();
    for (const name of names) {
      const identifier = name.replace(NOT_IDENTIFIER_CHARS, '');
      if (identifier.length > 0) cleaned.add(identifier);
    }
    // Longest first: at a position, the longest name is tried first, and if the character
    // after it continues an identifier, so does the character after any shorter name there
    // (it is one of the longer name's own characters). So the first match at a position
    // decides it; a shorter name the pattern falls back to there is refused below.
    // The ASCII word characters around are ruled out in the pattern itself (cheap to compile,
    // and most would-be matches inside longer words end there); the rest is checked below.
    const sorted = [...cleaned].sort((a, b) => b.length - a.length);
    this.pattern = sorted.length > 0 ? new RegExp(`(?<![A-Za-z0-9_])(?:${sorted.join('|')})(?![A-Za-z0-9_])`, 'g') : undefined;
    this.notAfter = new Set([...notAfter].map((c) => c.codePointAt(0)!));
  }

  /** Every whole mention in the text, in order. */
  *all(text: string): Generator<NameMention> {
    for (let match = this.next(text, 0); match !== null; match = this.next(text, match.index + match[0].length)) {
      yield { name: match[0], index: match.index };
    }
  }

  /** Whether the text mentions any of the names (no generator: the pre-pass asks this of every function). */
  inText(text: string): boolean {
    return this.next(text, 0) !== null;
  }

  /** The first whole mention at or after `from`. */
  private next(text: string, from: number): RegExpExecArray | null {
    const pattern = this.pattern;
    if (!pattern) return null;
    pattern.lastIndex = from;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const index = match.index;
      const end = index + match[0].length;
      const before = codePointBefore(text, index);
      const after = end < text.length ? text.codePointAt(end)! : undefined;
      if ((before === undefined || (!isIdentifierChar(before) && !this.notAfter.has(before))) && (after === undefined || !isIdentifierChar(after))) return match;
      // Not whole here: a mention may still start at the next character.
      pattern.lastIndex = index + 1;
    }
    return null;
  }
}
