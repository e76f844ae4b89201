import * as assert from 'node:assert/strict';
import { didYouMean, editDistance, maxSuggestionDistance, suggest } from '../../server/src/core/util/suggest';

describe('did-you-mean (util/suggest)', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps as one edit each', () => {
    assert.equal(editDistance('relu', 'relu'), 0);
    assert.equal(editDistance('rleu', 'relu'), 1); // swap
    assert.equal(editDistance('relux', 'relu'), 1); // insertion
    assert.equal(editDistance('rel', 'relu'), 1); // deletion
    assert.equal(editDistance('rela', 'relu'), 1); // substitution
    assert.equal(editDistance('he_nromal', 'he_normal'), 1);
    assert.equal(editDistance('abc', 'ca'), 3); // OSA: no edits inside a swapped pair
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('stops early once the distance exceeds the limit', () => {
    assert.equal(editDistance('a'.repeat(1000), 'relu', 3), 4);
    assert.equal(editDistance('abcdefgh', 'zzzzzzzz', 2), 3);
  });

  it('is case-insensitive and suggests only close names', () => {
    assert.equal(suggest('RLEU', ['relu', 'tanh']), 'relu');
    assert.equal(suggest('Leaky_Rleu', ['relu', 'leaky_relu']), 'leaky_relu');
    assert.equal(suggest('banana', ['relu', 'tanh', 'gelu']), undefined);
    assert.equal(suggest('tan', ['gelu', 'tanh']), 'tanh');
    assert.equal(suggest('x', ['relu']), undefined);
    assert.equal(suggest('', ['relu']), undefined);
  });

  it('does not suggest the name itself', () => {
    assert.equal(suggest('ReLU', ['relu']), undefined);
  });

  it('prefers the closest candidate, then the earlier one', () => {
    assert.equal(suggest('selu', ['gelu', 'selu2', 'relu']), 'gelu');
    assert.equal(suggest('dens', ['dense', 'dropout']), 'dense');
  });

  it('grows its tolerance with the length of the name, up to three edits', () => {
    assert.equal(maxSuggestionDistance(3), 1);
    assert.equal(maxSuggestionDistance(5), 2);
    assert.equal(maxSuggestionDistance(9), 3);
    assert.equal(maxSuggestionDistance(40), 3);
    assert.equal(suggest('variance_scailng_x', ['variance_scaling']), 'variance_scaling');
  });

  it('formats the suggestion for messages', () => {
    assert.equal(didYouMean('rleu', ['relu']), " — did you mean 'relu'?");
    assert.equal(didYouMean('zzzz', ['relu']), '');
  });

  it('handles a pathological 100 000-character name quickly', () => {
    const started = Date.now();
    assert.equal(suggest('q'.repeat(100_000), ['relu', 'tanh', 'glorot_uniform']), undefined);
    assert.ok(Date.now() - started < 5000);
  });
});
