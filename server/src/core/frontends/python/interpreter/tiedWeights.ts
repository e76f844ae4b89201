/**
 * Tied weights (`self.lm_head.weight = self.transformer.wte.weight`, GPT-2's output head
 * sharing the token embedding): both modules hold one parameter, so neither has an init of
 * its own. Where both end with the same fixed distribution (nanoGPT's `apply` of N(0, 0.02²)
 * to every Linear and Embedding) that is the parameter's init and is judged as it is, but no
 * fix is offered on either (editing one layer's init would change the other); otherwise the
 * values are whichever init ran last on either, which is not followed: unknown.
 */
import type { FixBuilder, InitUse } from '../../../ir';
import type { WeightModule } from './modules';

/** No edits: a tied layer's init cannot be changed alone. */
const TIED_FIXES: FixBuilder = {
  setInitializer: () => undefined,
  setActivation: () => undefined,
  setKaimingArguments: () => undefined,
  describeInitializer: () => '',
};

const FIXED = new Set(['normal', 'truncated_normal', 'uniform', 'constant']);

export class TiedWeights {
  private readonly partners = new Map<WeightModule, WeightModule>();

  tie(a: WeightModule, b: WeightModule): void {
    if (a === b) return;
    this.partners.set(a, b);
    this.partners.set(b, a);
  }

  partnerOf(module: WeightModule): WeightModule | undefined {
    return this.partners.get(module);
  }

  /** The init and fixes a module's layer gets, its own when it is not tied. */
  resolve(module: WeightModule, init: InitUse): { init: InitUse; fixes: FixBuilder } {
    const partner = this.partners.get(module);
    if (!partner) return { init, fixes: module.fixes };
    const mine = init.semantics;
    const theirs = partner.init.semantics;
    if (mine && theirs && FIXED.has(mine.kind) && JSON.stringify(mine) === JSON.stringify(theirs)) return { init, fixes: TIED_FIXES };
    return {
      init: { semantics: undefined, label: 'tied to another layer\'s weight (its values are whichever init runs last)', explicit: false, acceptedDefault: false },
      fixes: TIED_FIXES,
    };
  }
}
