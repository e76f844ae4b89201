/**
 * A reused unit's networks are moved by Relocation (core/relocation.ts): a recurrent layer's
 * fixes (ir.ts RecurrentFixBuilder) must move with the text too, or a rule run on the reused
 * network would edit the wrong place.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import { Relocation } from '../../server/src/core/relocation';

describe('Relocation of recurrent layers', () => {
  it('moves the spans and the fix edits of a recurrent layer', () => {
    const text = 'network n framework=pytorch {\n  input 8\n  lstm 16\n}\n';
    const network = analyze({ text, languageId: 'netdef' }).networks[0]!;
    const before = network.layers[0]!.recurrent!.fixes!.setForgetBias!(1)!;
    const moved = new Relocation([{ from: 0, to: 100, length: text.length }]).network(network);
    const spec = moved.layers[0]!.recurrent!;
    const after = spec.fixes!.setForgetBias!(1)!;
    assert.deepEqual(after.map((e) => e.span), before.map((e) => ({ start: e.span.start + 100, end: e.span.end + 100 })));
    assert.deepEqual(spec.fixes!.useOrthogonalRecurrent!()!.map((e) => e.span.start), network.layers[0]!.recurrent!.fixes!.useOrthogonalRecurrent!()!.map((e) => e.span.start + 100));
    assert.equal(moved.layers[0]!.span.start, network.layers[0]!.span.start + 100);
  });
});
