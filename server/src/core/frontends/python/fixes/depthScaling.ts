/**
 * IW402's fix in PyTorch code: the branch outputs' fixed std divided by √(2·n_layer), written
 * with the names the file has in scope (issue 15). Two shapes, as model code writes them:
 *
 * - the init call sets only branch outputs (`nn.init.normal_(self.c_proj.weight, std=0.02)`
 *   in the block): its std is divided where it is written;
 * - one init function applied to every layer (`self.apply(self._init_weights)`, as nanoGPT
 *   does): dividing its std would scale every layer, so nanoGPT's own idiom is inserted after
 *   the apply, `for pn, p in self.named_parameters(): if pn.endswith('c_proj.weight'):
 *   torch.nn.init.normal_(p, mean=0.0, std=0.02/math.sqrt(2 * config.n_layer))`, with suffixes
 *   that name exactly the branch outputs among the parameters apply reached.
 *
 * Everything here is plain data recorded while the interpreter ran (the syntax tree is freed
 * once the frontend returns); anything uncertain leaves the field undefined, and no fix is
 * offered.
 */
import type { TextEdit } from '../../../findings';
import type { Span } from '../../../text';

/** An integer expression as written and its value where the edit would put it (`config.n_layer` = 32). */
export interface CountSpelling {
  readonly text: string;
  readonly value: number;
  /** A name, attribute or literal: needs no parentheses inside `2 * …`. */
  readonly atomic: boolean;
}

/** The std argument of a fixed-std init call as written. */
export interface StdArgument {
  readonly span: Span;
  readonly text: string;
  /** Reads as one operand of `/` without parentheses (a literal, a name, a product). */
  readonly tight: boolean;
  readonly value: number;
}

/**
 * Where nanoGPT's loop would go: right after the `apply(fn)` statement whose function set the
 * weights, at its indentation, iterating the same module's `named_parameters()`.
 */
export interface ApplySite {
  /** Line end of the apply statement (after a trailing comment). */
  readonly insertAt: number;
  readonly indent: string;
  /** One indentation level as the file writes it. */
  readonly unit: string;
  readonly eol: string;
  readonly quote: string;
  /** The module apply was called on, as written (`self`, `model`). */
  readonly receiver: string;
  /** Every weight `named_parameters()` lists at that point (namedParameters.ts). */
  readonly names: readonly string[];
  /** Layer counts spelled in the apply statement's scope. */
  readonly counts: readonly CountSpelling[];
  /** Names already used where the loop goes: its loop variables must not rebind them. */
  readonly taken: ReadonlySet<string>;
}

/** What one fixed-std init call that set a weight leaves for IW402's fix. */
export interface DepthScaleSite {
  /** The init call (the group's members share it). */
  readonly call: Span;
  /** How many weights the call set, file-wide (read when the fix is built). */
  readonly applications: () => number;
  readonly std: StdArgument;
  /** `math.sqrt` as the file spells it; undefined: `** 0.5`. */
  readonly sqrt: string | undefined;
  /** Layer counts spelled in the init call's scope. */
  readonly counts: readonly CountSpelling[];
  /** Set when the call ran inside `apply(fn)` called on a module whose parameters are all listed. */
  readonly applied?: {
    readonly site: ApplySite;
    /** This weight's name under the apply's module (`transformer.h.0.attn.c_proj.weight`). */
    readonly name: string;
    /** The call's text around the weight and the std: [before the weight, between, after the std]; undefined when it cannot move. */
    readonly template: readonly [string, string, string] | undefined;
    /** The std as it reads where the loop goes (the written text when it means the same there, else the number). */
    readonly std: StdArgument;
  };
}

/** Loop variable names tried in order (nanoGPT's first). */
const LOOP_NAMES: readonly (readonly [string, string])[] = [['pn', 'p'], ['name', 'param'], ['param_name', 'param']];

/** At most this many distinct suffixes in the loop's `endswith` (beyond that the fix is not readable). */
const MAX_SUFFIXES = 4;

/**
 * The edits dividing the std of every member's init by √branches. `sharing`: how many layers of
 * the network the members' init call sets (the members are the branch ends among them).
 */
export function depthScalingEdits(members: readonly (DepthScaleSite | undefined)[], branches: number, sharing: number): TextEdit[] | undefined {
  if (!Number.isInteger(branches) || branches < 2 || members.length === 0) return undefined;
  const sites = members.filter((m): m is DepthScaleSite => m !== undefined);
  if (sites.length !== members.length) return undefined;
  const lead = sites[0]!;
  if (!sites.every((s) => s.call.start === lead.call.start && s.call.end === lead.call.end)) return undefined;
  // The call sets exactly these branch outputs: divide its std where it is written.
  if (sites.length === sharing && lead.applications() === sharing) {
    const divisor = divisorText(lead.counts, branches, lead.sqrt);
    if (divisor) return [{ span: lead.std.span, newText: `${operand(lead.std)}/${divisor}` }];
  }
  return namedParameterLoop(sites, branches);
}

/** nanoGPT's loop after the apply statement, re-drawing exactly the branch outputs with the divided std. */
function namedParameterLoop(sites: readonly DepthScaleSite[], branches: number): TextEdit[] | undefined {
  const applied = sites[0]!.applied;
  if (!applied?.template || !sites.every((s) => s.applied?.site === applied.site)) return undefined;
  const site = applied.site;
  const divisor = divisorText(site.counts, branches, sites[0]!.sqrt);
  const names = new Set(sites.map((s) => s.applied!.name));
  const suffixes = divisor ? suffixesFor(names, site.names) : undefined;
  const variables = LOOP_NAMES.find(([n, p]) => !site.taken.has(n) && !site.taken.has(p));
  if (!divisor || !suffixes || !variables) return undefined;
  const [nameVar, paramVar] = variables;
  const q = site.quote;
  const quoted = suffixes.map((s) => `${q}${s}${q}`);
  const test = quoted.length === 1 ? quoted[0]! : `(${quoted.join(', ')})`;
  const [before, between, after] = applied.template;
  const call = `${before}${paramVar}${between}${operand(applied.std)}/${divisor}${after}`;
  const { indent, unit, eol } = site;
  const lines = [
    `${indent}# the residual branches' output projections scaled for depth (GPT-2)`,
    `${indent}for ${nameVar}, ${paramVar} in ${site.receiver}.named_parameters():`,
    `${indent}${unit}if ${nameVar}.endswith(${test}):`,
    `${indent}${unit}${unit}${call}`,
  ];
  return [{ span: { start: site.insertAt, end: site.insertAt }, newText: lines.map((l) => `${eol}${l}`).join('') }];
}

/**
 * `math.sqrt(2 * config.n_layer)` when a count in scope is half the branches (two per block),
 * `math.sqrt(config.n_layer)` when it is all of them; one spelling or none (two different
 * names with the value would be a guess).
 */
export function divisorText(counts: readonly CountSpelling[], branches: number, sqrt: string | undefined): string | undefined {
  const pick = (value: number) => {
    const texts = [...new Set(counts.filter((c) => c.value === value).map((c) => c.text))];
    return texts.length === 1 ? counts.find((c) => c.text === texts[0])! : undefined;
  };
  const half = branches % 2 === 0 ? pick(branches / 2) : undefined;
  const whole = half ? undefined : pick(branches);
  const count = half ?? whole;
  if (!count) return undefined;
  const inner = half ? `2 * ${count.atomic ? count.text : `(${count.text})`}` : count.text;
  if (sqrt) return `${sqrt}(${inner})`;
  return half || !count.atomic ? `(${inner}) ** 0.5` : `${inner} ** 0.5`;
}

function operand(std: StdArgument): string {
  return std.tight ? std.text : `(${std.text})`;
}

/**
 * The shortest dotted suffixes (`c_proj.weight`) that `str.endswith` matches on every branch
 * output's name and on no other parameter's; undefined when none separate them or there are too many.
 */
export function suffixesFor(ends: ReadonlySet<string>, all: readonly string[]): string[] | undefined {
  const others = all.filter((n) => !ends.has(n));
  if (![...ends].every((n) => all.includes(n))) return undefined;
  const chosen: string[] = [];
  for (const name of ends) {
    if (chosen.some((s) => name.endsWith(s))) continue;
    const parts = name.split('.');
    let found: string | undefined;
    for (let k = 2; k <= parts.length && !found; k++) {
      const suffix = parts.slice(parts.length - k).join('.');
      // A suffix at a name boundary that no other parameter ends with (endswith compares characters, not components).
      if (!others.some((o) => o.endsWith(suffix))) found = suffix;
    }
    if (!found || /['"\\]|bias/.test(found)) return undefined;
    chosen.push(found);
  }
  return chosen.length > 0 && chosen.length <= MAX_SUFFIXES ? chosen : undefined;
}
