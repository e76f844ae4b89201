/**
 * Severity follows impact (issue 13, item 11). A layer's init finding matters as much as
 * what its network does with it: PyTorch's default under ReLU (×1/6 per layer) compounding
 * over a deep stack ends the signal far outside the band, while a mild gain mismatch in a
 * network that stays inside it changes little. So an init finding (IW101, IW102, IW301) is
 *   - a warning when its network leaves the band (IW201–IW204's condition) the way the
 *     layer pushes it (a too-small scale and a vanishing signal or gradient, or a too-large
 *     one and an exploding one),
 *   - info when the network is simulated and ends inside the band both ways,
 *   - the rule's default otherwise (not simulated, pretrained, or the layer pushes against
 *     the drift).
 * A severity the user configures for the rule (`severity` setting, initwise.toml) still wins.
 */
import type { Severity } from '../findings';
import { networkEnd } from './depth';
import type { RuleContext } from './types';

export function impactSeverity(context: Pick<RuleContext, 'network' | 'simulation' | 'settings'>, ratio: number, byDefault: Severity): Severity {
  const end = networkEnd(context);
  if (!end) return byDefault;
  if ((ratio < 1 && end.vanishing) || (ratio > 1 && end.exploding)) return 'warning';
  if (!end.vanishing && !end.exploding) return 'info';
  return byDefault;
}
