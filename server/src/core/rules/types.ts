/**
 * A rule is metadata (the single source of its docs, the CLI's `rule` command, the
 * settings schema and the README table) plus a check over one analysed network.
 */
import type { Fix, RelatedInformation, Severity } from '../findings';
import type { DropoutFixBuilder, Network } from '../ir';
import type { Settings } from '../settings';
import type { NetworkSimulation } from '../simulation/types';
import type { Span } from '../text';

export interface RuleDocs {
  /** One paragraph: what the rule flags. */
  readonly whatItDoes: string;
  /** Why the pattern hurts training, with the numbers. */
  readonly whyItMatters: string;
  /** A `.netdef` snippet that triggers the rule. */
  readonly example: string;
  /** The corrected snippet. */
  readonly useInstead: string;
  readonly fixSafety: string;
  readonly whenNotToApply: string;
  /** Papers, framework sources and issues behind the rule. */
  readonly references: readonly string[];
}

export interface RuleMeta {
  readonly code: string;
  readonly name: string;
  readonly defaultSeverity: Severity;
  /** One line for tables: when the rule fires. */
  readonly summary: string;
  /** `always`: every finding has a fix; `sometimes`; `never`. Held to the truth by the tests. */
  readonly fixable: 'always' | 'sometimes' | 'never';
  readonly docs: RuleDocs;
}

export interface ReportedFinding {
  readonly span: Span;
  readonly message: string;
  readonly fixes?: readonly Fix[];
  readonly related?: readonly RelatedInformation[];
  /** This finding's severity when it differs from the rule's default by impact (rules/impact.ts); a configured severity still wins. */
  readonly severity?: Severity;
}

export interface RuleContext {
  readonly network: Network;
  /** The analytic simulation of this network (undefined when widths could not be resolved). */
  readonly simulation: NetworkSimulation | undefined;
  readonly settings: Settings;
  readonly dropoutFixes: DropoutFixBuilder;
  readonly report: (finding: ReportedFinding) => void;
}

export interface Rule {
  readonly meta: RuleMeta;
  /** Absent for codes the frontends report (IW001, IW002). */
  readonly check?: (context: RuleContext) => void;
}

