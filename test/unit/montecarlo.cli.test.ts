/**
 * `initwise check --simulate montecarlo` (the built dist/cli.js): the findings and the JSON
 * numbers come from the network drawn at its real width. A GELU stack at width 256 is
 * where mean field is 12× too pessimistic about the gradient (test/reference/oracle/README.md):
 * the analytic pass reports vanishing gradients (IW203), the measured network does not.
 */
import { strict as assert } from 'node:assert';
import { initwise, netdef, project } from '../cli/support';

const GELU_STACK = netdef(
  'network gelu_stack framework=pytorch {',
  '  input 256',
  '  repeat 20 {',
  '    dense 256 activation=gelu init=kaiming_normal(nonlinearity=relu)',
  '  }',
  '}',
);

interface JsonLayer { forwardVariance: number; gradientVariance: number }
interface JsonOutput { files: { networks: { layers: JsonLayer[] }[] }[] }

describe('initwise check --simulate montecarlo', function () {
  this.timeout(60_000);
  const dir = project({ 'gelu.netdef': GELU_STACK });

  it('judges depth on the measured network', () => {
    const analytic = initwise(['check', 'gelu.netdef'], dir);
    assert.match(analytic.stdout, /IW203/);
    const measured = initwise(['check', 'gelu.netdef', '--simulate', 'montecarlo'], dir);
    assert.equal(measured.status, 0, measured.stdout + measured.stderr);
    assert.doesNotMatch(measured.stdout, /IW203/);
  });

  it('reports the measured numbers in JSON, the same on every run', () => {
    const first = initwise(['check', 'gelu.netdef', '--simulate', 'montecarlo', '--format', 'json', '--exit-zero'], dir);
    const second = initwise(['check', 'gelu.netdef', '--simulate', 'montecarlo', '--format', 'json', '--exit-zero'], dir);
    const analytic = initwise(['check', 'gelu.netdef', '--format', 'json', '--exit-zero'], dir);
    assert.equal(first.stdout, second.stdout);
    const layers = (JSON.parse(first.stdout) as JsonOutput).files[0]!.networks[0]!.layers;
    const meanField = (JSON.parse(analytic.stdout) as JsonOutput).files[0]!.networks[0]!.layers;
    assert.equal(layers.length, 20);
    // Mean field: the gradient at the first layer is ~0.004 of the output's; measured at width 256 it is tens of times larger.
    assert.ok(layers[0]!.gradientVariance > 5 * meanField[0]!.gradientVariance, `${layers[0]!.gradientVariance} vs ${meanField[0]!.gradientVariance}`);
  });
});
