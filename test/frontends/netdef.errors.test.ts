/**
 * Mistakes: each is one finding with a precise span and a message that says what was
 * expected, and everything else in the file is still read.
 */
import * as assert from 'node:assert/strict';
import { MAX_BLOCK_DEPTH } from '../../server/src/core/frontends/netdef/parser';
import { describe as show, located, onlyFinding, parseNetdef, wrap } from './netdefSupport';

/** The one finding of `text`, checked for code and spanned text; returns its message. */
function expectOne(text: string, code: string, spanned: string): string {
  const finding = onlyFinding(text);
  assert.equal(`${finding.code} ${text.slice(finding.span.start, finding.span.end)}`, `${code} ${spanned}`, show(finding, text));
  assert.equal(finding.severity, code === 'IW001' ? 'error' : 'warning');
  assert.deepEqual(finding.related, []);
  return finding.message;
}

describe('netdef errors', () => {
  describe('syntax (IW001)', () => {
    it('a missing option value points at the = and says what was expected', () => {
      assert.match(expectOne(wrap('  dense 64 activation='), 'IW001', '='), /expected a value after 'activation=', got the end of the line/);
    });

    it('an unclosed parenthesis points at the (', () => {
      assert.match(expectOne(wrap('  dense 64 init=kaiming_normal(mode=fan_in'), 'IW001', '('), /'\(' after 'kaiming_normal' is never closed: expected '\)'/);
    });

    it('a missing comma between arguments', () => {
      assert.match(expectOne(wrap('  dense 64 init=variance_scaling(scale=2 mode=fan_in)'), 'IW001', 'mode'), /expected ',' or '\)' in the arguments of 'variance_scaling'/);
    });

    it('a line that does not start with a statement', () => {
      assert.match(expectOne(wrap('  = 5'), 'IW001', '='), /expected a statement such as 'dense 64', got '='/);
      assert.match(expectOne(wrap('  64 relu'), 'IW001', '64'), /expected a statement/);
    });

    it('unexpected characters and malformed numbers', () => {
      assert.match(expectOne(wrap('  dense 64 @'), 'IW001', '@'), /unexpected '@'/);
      assert.match(expectOne(wrap('  dense 3x'), 'IW001', '3x'), /malformed shape '3x'/);
      assert.match(expectOne(wrap('  dropout 0.1.2'), 'IW001', '0.1.2'), /malformed number/);
    });

    it('positional values after options', () => {
      assert.match(expectOne(wrap('  dense activation=relu 64'), 'IW001', '64'), /positional arguments go before the options: move '64' before 'activation='/);
    });

    it('reports one syntax error per line', () => {
      assert.equal(parseNetdef(wrap('  dense @ # $ % ^')).findings.length, 1);
    });

    it('bounds expression nesting', () => {
      const deep = `${'('.repeat(40)}1${')'.repeat(40)}`;
      assert.match(expectOne(wrap(`  dropout ${deep}`), 'IW001', '('), /nested too deeply \(the limit is 32 levels\)/);
      const chain = Array.from({ length: 40 }, () => '1').join('+');
      assert.match(onlyFinding(wrap(`  dense ${chain}`)).message, /nested too deeply/);
      assert.match(onlyFinding(wrap(`  dropout ${'-'.repeat(50)}0.1`)).message, /nested too deeply/);
    });

    it('a line with a syntax error still yields its layer, with unknown activation and init', () => {
      const result = parseNetdef(wrap('  dense 64 ! activation=relu\n  dense 8'));
      assert.equal(result.findings.length, 1);
      const [first, second] = result.networks[0]!.layers;
      assert.deepEqual(first!.fans, { fanIn: 64, fanOut: 64 });
      assert.equal(first!.activation, 'unknown');
      assert.equal(first!.init.semantics, undefined);
      assert.deepEqual(second!.fans, { fanIn: 64, fanOut: 8 });
    });

    it('quoted names are read, reported, and fixed safely by dropping the quotes', () => {
      const text = wrap("  dense 8 activation='relu'");
      const finding = onlyFinding(text);
      assert.equal(finding.code, 'IW001');
      assert.match(finding.message, /names are written without quotes: relu/);
      assert.deepEqual(finding.fixes.map((f) => [f.applicability, f.edits[0]!.newText]), [['safe', 'relu']]);
      const l = parseNetdef(text).networks[0]!.layers[0]!;
      assert.equal(l.activation !== 'unknown' && l.activation.name, 'relu');
    });
  });

  describe('unknown names and keys', () => {
    it("unknown activation: IW002 'unknown activation 'rleu' — did you mean 'relu'?' with an unsafe fix", () => {
      const text = wrap('  dense 64 activation=rleu');
      const message = expectOne(text, 'IW002', 'rleu');
      assert.equal(message, "unknown activation 'rleu' — did you mean 'relu'?");
      const fix = onlyFinding(text).fixes[0]!;
      assert.equal(fix.applicability, 'unsafe');
      assert.equal(fix.title, "Replace with 'relu'");
      assert.equal(onlyFinding(wrap('  dense 8\n  activation tahn')).message, "unknown activation 'tahn' — did you mean 'tanh'?");
    });

    it('unknown activation with nothing close lists the known ones and offers no fix', () => {
      const finding = onlyFinding(wrap('  dense 64 activation=banana'));
      assert.match(finding.message, /^unknown activation 'banana'; expected one of linear, relu, relu6, leaky_relu, .* or softmax$/);
      assert.deepEqual(finding.fixes, []);
    });

    it('unknown initializer: IW002 with did-you-mean and fix; the init is unknown', () => {
      const text = wrap('  dense 64 init=he_nromal');
      assert.equal(expectOne(text, 'IW002', 'he_nromal'), "unknown initializer 'he_nromal' — did you mean 'he_normal'?");
      assert.equal(parseNetdef(text).networks[0]!.layers[0]!.init.semantics, undefined);
      assert.equal(parseNetdef(text).networks[0]!.layers[0]!.init.explicit, true);
      assert.equal(expectOne(wrap('  dense 64 init=xavier_unifrom(gain=2)'), 'IW002', 'xavier_unifrom'), "unknown initializer 'xavier_unifrom' — did you mean 'xavier_uniform'?");
    });

    it('unknown statement: IW001 with did-you-mean; its block is still analysed', () => {
      const text = wrap('  dens 64\n  repaet 2 {\n    dense 8 activation=rleu\n  }');
      assert.deepEqual(located(text), [['IW001', 'dens'], ['IW001', 'repaet'], ['IW002', 'rleu']]);
      const messages = parseNetdef(text).findings.map((f) => f.message);
      assert.equal(messages[0], "unknown statement 'dens' — did you mean 'dense'?");
      assert.equal(messages[1], "unknown statement 'repaet' — did you mean 'repeat'?");
      assert.equal(parseNetdef(text).networks[0]!.layers.length, 1);
    });

    it('an unknown statement with nothing close lists the statements', () => {
      assert.match(onlyFinding(wrap('  frobnicate 3')).message, /unknown statement 'frobnicate'; expected one of input, dense, conv1d, .* or memory/);
    });

    it('unknown option: IW001 with did-you-mean and the options the statement takes', () => {
      const message = expectOne(wrap('  dense 64 activaton=relu'), 'IW001', 'activaton');
      assert.equal(message, "'dense' has no option 'activaton'; it takes activation, init, bias or use_bias — did you mean 'activation'?");
      assert.match(expectOne(wrap('  dense 8\n  dropout 0.1 rate=2'), 'IW001', 'rate'), /'dropout' has no option 'rate'; it takes no options/);
      assert.match(expectOne(wrap('  conv2d 8 kernal=3', { input: '3x8x8' }), 'IW001', 'kernal'), /did you mean 'kernel'\?/);
    });

    it('repeated options', () => {
      assert.match(expectOne(wrap('  dense 8 init=zeros init=ones'), 'IW001', 'init=ones'), /option 'init' is given twice/);
    });

    it('misspelt option values', () => {
      assert.match(expectOne('network a framework=pytroch {\n  input 4\n  dense 2\n}\n', 'IW001', 'pytroch'), /framework must be keras, pytorch or flax, got 'pytroch' — did you mean 'pytorch'\?/);
      assert.match(expectOne(wrap('  conv2d 8 kernel=3 padding=sam', { input: '3x8x8' }), 'IW001', 'sam'), /padding must be same or valid, got 'sam' — did you mean 'same'\?/);
      assert.match(expectOne(wrap('  dense 8 init=variance_scaling(mode=fan_ni)'), 'IW001', 'fan_ni'), /did you mean 'fan_in'\?/);
      assert.match(expectOne(wrap('  dense 8 use_bias=maybe'), 'IW001', 'maybe'), /use_bias must be true or false/);
    });
  });

  describe('initializer arguments', () => {
    it('unknown, duplicate and misplaced arguments', () => {
      assert.match(expectOne(wrap('  dense 8 init=xavier_uniform(gian=2)'), 'IW001', 'gian'), /'xavier_uniform' has no argument 'gian'; it takes gain — did you mean 'gain'\?/);
      assert.match(expectOne(wrap('  dense 8 init=lecun_normal(2)'), 'IW001', '2'), /'lecun_normal' takes no arguments/);
      assert.match(expectOne(wrap('  dense 8 init=normal(0.02)'), 'IW001', '0.02'), /write the arguments of 'normal' with their names, as in normal\(std=0.02\)/);
      assert.match(expectOne(wrap('  dense 8 init=orthogonal(gain=1, gain=2)'), 'IW001', 'gain=2'), /'gain' is given twice/);
      assert.match(expectOne(wrap('  dense 8 init=uniform(low=-1, 1)'), 'IW001', '1'), /positional arguments go before keyword arguments/);
      assert.match(expectOne(wrap('  dense 8 init=orthogonal(1, 2)'), 'IW001', '2'), /takes at most 1 positional argument \(gain\)/);
    });

    it('missing or inconsistent required arguments', () => {
      assert.match(expectOne(wrap('  dense 8 init=constant'), 'IW001', 'constant'), /constant needs its value, as in constant\(0.1\)/);
      assert.match(expectOne(wrap('  dense 8 init=normal(mean=1)'), 'IW001', 'normal'), /normal needs std=S/);
      assert.match(expectOne(wrap('  dense 8 init=truncated_normal'), 'IW001', 'truncated_normal'), /truncated_normal needs std=S/);
      assert.match(expectOne(wrap('  dense 8 init=uniform'), 'IW001', 'uniform'), /uniform needs limit=L or both bounds/);
      assert.match(expectOne(wrap('  dense 8 init=uniform(limit=1, low=0)'), 'IW001', 'uniform'), /either limit=L or low and high, not both/);
      assert.match(expectOne(wrap('  dense 8 init=uniform(1, 0)'), 'IW001', 'uniform'), /low < high/);
      assert.match(expectOne(wrap('  dense 8 init=variance_scaling(scale=0)'), 'IW001', '0'), /scale of variance_scaling must be greater than 0/);
      assert.match(expectOne(wrap('  dense 8 init=normal(std=-1)'), 'IW001', '-1'), /must not be negative/);
      assert.match(expectOne(wrap('  dense 8 init=0.01'), 'IW001', '0.01'), /expected an initializer such as he_normal, got '0.01'; for every weight equal to a value write constant\(0.01\)/);
    });

    it('a bad argument leaves the init unknown rather than guessed', () => {
      const l = parseNetdef(wrap('  dense 8 init=xavier_uniform(gian=2)')).networks[0]!.layers[0]!;
      assert.equal(l.init.semantics, undefined);
    });

    it('activation parameters', () => {
      assert.match(expectOne(wrap('  dense 8 activation=relu(0.1)'), 'IW001', 'relu(0.1)'), /relu takes no parameter/);
      assert.match(expectOne(wrap('  dense 8 activation=leaky_relu(0.1, 0.2)'), 'IW001', 'leaky_relu(0.1, 0.2)'), /takes one number, as in leaky_relu\(0.01\)/);
      assert.match(expectOne(wrap('  dense 8 activation=leaky_relu(slope=0.2)'), 'IW001', 'slope'), /without a name/);
      assert.match(expectOne(wrap('  dense 8 activation=3'), 'IW001', '3'), /expected an activation name such as relu, got '3'/);
    });
  });

  describe('values', () => {
    it('counts must be whole numbers of at least 1', () => {
      assert.match(expectOne(wrap('  dense 0'), 'IW001', '0'), /the number of units must be a whole number of at least 1, got 0/);
      assert.match(expectOne(wrap('  dense 2.5'), 'IW001', '2.5'), /got 2.5/);
      assert.match(expectOne(wrap('  dense relu'), 'IW001', 'relu'), /the number of units: expected a number, got the name 'relu'/);
      assert.match(expectOne(wrap('  dense 1/0'), 'IW001', '0'), /division by zero/);
      assert.match(expectOne(wrap('  dense 1e999'), 'IW001', '1e999'), /too large/);
      assert.match(expectOne(wrap('  dense sqrt(-1)'), 'IW001', '-1'), /sqrt of a negative number/);
      assert.match(expectOne(wrap('  dense exp(2)'), 'IW001', 'exp'), /only function in numbers is sqrt/);
    });

    it('dropout rates are probabilities below 1', () => {
      assert.match(expectOne(wrap('  dense 8\n  dropout 1'), 'IW001', '1'), /from 0 up to \(not including\) 1, got 1/);
      assert.match(expectOne(wrap('  dense 8\n  dropout -0.1'), 'IW001', '-0.1'), /got -0.1/);
    });

    it('missing and extra positional values', () => {
      assert.match(expectOne(wrap('  dense'), 'IW001', 'dense'), /'dense' needs UNITS, as in 'dense 128 activation=relu'/);
      assert.match(expectOne(wrap('  embedding 100'), 'IW001', 'embedding'), /'embedding' needs DIM/);
      assert.match(expectOne(wrap('  dense 8 16'), 'IW001', '16'), /'dense' takes 1 value \(UNITS\); options are written key=value/);
      assert.match(expectOne(wrap('  dense 8\n  batchnorm 3'), 'IW001', '3'), /'batchnorm' takes no values/);
      assert.match(expectOne(wrap('  repeat {\n    dense 8\n  }'), 'IW001', 'repeat'), /'repeat' needs N/);
    });

    it('conv options: kernel required and sized to the dimension, groups dividing channels and filters', () => {
      assert.match(expectOne(wrap('  conv2d 8', { input: '3x8x8' }), 'IW001', 'conv2d'), /conv2d needs its kernel size, as in 'conv2d 64 kernel=3x3'/);
      assert.match(expectOne(wrap('  conv1d 8 kernel=3x3', { input: '3x8' }), 'IW001', '3x3'), /kernel gives 2 sizes but this layer has 1 spatial dimension/);
      assert.match(expectOne(wrap('  conv2d 8 kernel=3 stride=0', { input: '3x8x8' }), 'IW001', '0'), /stride must be a whole number of at least 1/);
      assert.match(expectOne(wrap('  conv2d 8 kernel=3 groups=3', { input: '4x8x8' }), 'IW001', '3'), /groups=3 must divide both the input channels \(4\) and the filters \(8\)/);
    });
  });

  describe('shapes', () => {
    it('dense on channels x spatial names the shape and says to flatten', () => {
      assert.equal(expectOne(wrap('  dense 10', { input: '64x8x8' }), 'IW001', 'dense'), "dense needs flat features, but its input is 64x8x8 (CxHxW): add 'flatten' before it");
    });

    it('conv on flat features or of the wrong rank', () => {
      assert.match(expectOne(wrap('  conv2d 8 kernel=3', { input: '784' }), 'IW001', 'conv2d'), /conv2d needs a channels-first CxHxW input, but its input is 784 features/);
      assert.match(expectOne(wrap('  conv2d 8 kernel=3', { input: '3x100' }), 'IW001', 'conv2d'), /its input is 3x100 \(CxL\): use conv1d/);
    });

    it('a kernel that does not fit', () => {
      assert.match(expectOne(wrap('  conv2d 8 kernel=5', { input: '3x4x4' }), 'IW001', '5'), /kernel 5x5 does not fit the 4x4 input with padding=valid/);
    });

    it('after a shape error the next layers keep going', () => {
      const result = parseNetdef(wrap('  dense 10\n  dense 5', { input: '64x8x8' }));
      assert.equal(result.findings.length, 1);
      const [a, b] = result.networks[0]!.layers;
      assert.equal(a!.fans, undefined);
      assert.deepEqual(b!.fans, { fanIn: 10, fanOut: 5 });
    });

    it('a residual body must keep the shape', () => {
      assert.match(expectOne(wrap('  residual {\n    dense 32\n  }\n  dense 8'), 'IW001', 'residual'), /the residual body changes the shape from 64 features to 32 features/);
    });

    it('a missing input is reported once at the network name; fans are undefined but parsing continues', () => {
      const text = 'network nothing_in {\n  dense 64 activation=rleu\n  dense 10\n}\n';
      const result = parseNetdef(text);
      assert.deepEqual(located(text), [['IW001', 'nothing_in'], ['IW002', 'rleu']]);
      assert.match(result.findings[0]!.message, /network 'nothing_in' has no 'input' statement/);
      assert.deepEqual(result.networks[0]!.layers.map((l) => l.fans), [undefined, { fanIn: 64, fanOut: 10 }]);
      assert.deepEqual(located('network empty {\n}\n'), [['IW001', 'empty']]);
    });

    it('input must come first, once, as one value', () => {
      assert.match(expectOne('network a {\n  flatten\n  input 8\n  dense 2\n}\n', 'IW001', 'input'), /'input' must be the first statement/);
      assert.match(expectOne(wrap('  input 8\n  dense 2'), 'IW001', 'input'), /already given/);
      assert.match(expectOne(wrap('  dense 2', { input: '3 x 32 x 32' }), 'IW001', 'x'), /write the input shape as one value without spaces, as in 'input 3x32x32'/);
      assert.match(expectOne(wrap('  dense 2', { input: '1x2x3x4x5' }), 'IW001', '1x2x3x4x5'), /at most 4 sizes/);
    });
  });

  describe('blocks and braces', () => {
    it('a block on a statement that takes none is reported and its body still analysed', () => {
      const text = wrap('  dense 8 {\n    dense 4\n  }');
      assert.deepEqual(located(text), [['IW001', '{']]);
      assert.match(parseNetdef(text).findings[0]!.message, /'dense' does not take a block/);
      assert.equal(parseNetdef(text).networks[0]!.layers.length, 2);
    });

    it("repeat without '{' is reported and its lines stay in the network", () => {
      const text = wrap('  repeat 2\n    dense 8\n  dense 4');
      assert.match(expectOne(text, 'IW001', ''), /expected '\{' at the end of 'repeat 2'/);
      assert.equal(parseNetdef(text).networks[0]!.layers.length, 2);
    });

    it("a '{' alone on the next line completes the block (one finding, structure kept)", () => {
      const text = 'network a\n{\n  input 4\n  repeat 2\n  {\n    dense 4\n  }\n}\n';
      const result = parseNetdef(text);
      assert.deepEqual(located(text), [['IW001', '{'], ['IW001', '{']]);
      assert.match(result.findings[0]!.message, /put '\{' at the end of the 'network' line/);
      assert.match(result.findings[1]!.message, /put '\{' at the end of the 'repeat' line/);
      assert.equal(result.networks[0]!.layers.length, 2);
    });

    it("a missing '}' at the end of the file points at the unclosed block", () => {
      const text = 'network a {\n  input 4\n  dense 2\n';
      assert.match(expectOne(text, 'IW001', '{'), /missing '\}' to close network 'a' \(line 1\) before the end of the file/);
      assert.equal(parseNetdef(text).networks[0]!.layers.length, 1);
    });

    it("a missing inner '}' is located by indentation and the next network is still read", () => {
      const text = 'network a {\n  input 4\n  repeat 2 {\n    dense 3\n  dense 4\n}\n\nnetwork b {\n  input 5\n  dense 5\n}\n';
      const result = parseNetdef(text);
      assert.deepEqual(located(text), [['IW001', 'repeat']]);
      assert.match(result.findings[0]!.message, /'repeat' \(line 3\) seems to lack its '\}': the '\}' on line 6 is indented like an outer block/);
      assert.deepEqual(result.networks.map((n) => n.name), ['a', 'b']);
      assert.deepEqual(result.networks[1]!.layers.map((l) => l.fans), [{ fanIn: 5, fanOut: 5 }]);
    });

    it("a stray '}' that closes the network early reopens it: one finding, every layer read", () => {
      const text = 'network a {\n  input 4\n  dense 4\n  }\n  dense 2\n}\n';
      const result = parseNetdef(text);
      assert.deepEqual(located(text), [['IW001', '}']]);
      assert.equal(result.findings[0]!.span.start, text.indexOf('  }') + 2);
      assert.match(result.findings[0]!.message, /this '\}' closes network 'a', but statements follow it/);
      assert.deepEqual(result.networks[0]!.layers.map((l) => l.fans), [{ fanIn: 4, fanOut: 4 }, { fanIn: 4, fanOut: 2 }]);
    });

    it("an unmatched '}' and statements outside any network", () => {
      assert.match(expectOne('}\n', 'IW001', '}'), /unmatched '\}'/);
      const text = 'dense 4\nnetwork a {\n  input 2\n  dense 2\n}\n';
      assert.match(expectOne(text, 'IW001', 'dense'), /'dense' is outside any network: statements go inside a 'network NAME \{ … \}' block/);
      assert.equal(parseNetdef(text).networks[0]!.layers.length, 1);
    });

    it('one statement per line: text after { or } is reported', () => {
      assert.match(onlyFinding(wrap('  repeat 2 { dense 4\n  }')).message, /expected a new line after '\{'/);
      assert.match(onlyFinding(wrap('  repeat 2 {\n    dense 4 }')).message, /expected a new line before '\}'/);
    });

    it('a network header without a name, and duplicate names', () => {
      assert.match(expectOne('network {\n  input 2\n  dense 2\n}\n', 'IW001', 'network'), /'network' needs NAME/);
      const text = 'network a {\n  input 2\n  dense 2\n}\nnetwork A {\n  input 2\n  dense 2\n}\n';
      assert.match(expectOne(text, 'IW001', 'A'), /network 'A' is already defined on line 1/);
    });

    it(`blocks nested deeper than ${MAX_BLOCK_DEPTH} are reported once and not analysed; the rest is`, () => {
      const depth = MAX_BLOCK_DEPTH + 5;
      const open = Array.from({ length: depth }, (_, i) => `${'  '.repeat(i + 1)}repeat 1 {`).join('\n');
      const close = Array.from({ length: depth }, (_, i) => `${'  '.repeat(depth - i)}}`).join('\n');
      const text = `network deep {\n  input 4\n${open}\n dense 4\n${close}\n  dense 2\n}\n`;
      const result = parseNetdef(text);
      assert.equal(result.findings.length, 1, result.findings.map((f) => show(f, text)).join('\n'));
      assert.match(result.findings[0]!.message, /nest more than 32 levels deep; this block is not analysed/);
      assert.deepEqual(result.networks[0]!.layers.map((l) => l.fans), [{ fanIn: 4, fanOut: 2 }]);
    });
  });

  describe('limits', () => {
    it('a repeat that would exceed 10 000 layers is reported on its count and expanded once', () => {
      const text = wrap('  repeat 1000000 {\n    dense 64\n  }\n  dense 2');
      const message = expectOne(text, 'IW001', '1000000');
      assert.equal(message, 'repeat 1000000 would expand to 1000000 layers; the limit is 10000 per network, so the block is analysed once');
      assert.equal(parseNetdef(text).networks[0]!.layers.length, 2);
    });

    it('counts the layers already in the network and nested repeats', () => {
      assert.match(onlyFinding(wrap('  repeat 100 {\n    repeat 200 {\n      dense 64\n    }\n  }')).message, /repeat 100 would expand to 20000 layers; the limit is 10000/);
      const text = wrap(`${'  dense 64\n'.repeat(5)}  repeat 9998 {\n    dense 64\n  }`);
      assert.match(onlyFinding(text).message, /repeat 9998 would expand to 9998 layers \(10003 in the network\)/);
      assert.equal(parseNetdef(wrap('  repeat 10000 {\n    dense 64\n  }')).networks[0]!.layers.length, 10000);
    });

    it('bounds expansions without weight layers too', () => {
      const text = wrap('  dense 4\n  repeat 1000000 {\n    activation relu\n  }');
      assert.match(expectOne(text, 'IW001', '1000000'), /would expand to 1000000 statements; the limit is 100000 per network/);
    });

    it('an unreadable repeat count is reported and the body analysed once', () => {
      const text = wrap('  repeat 0 {\n    dense 4\n  }');
      assert.match(expectOne(text, 'IW001', '0'), /the repeat count must be a whole number of at least 1/);
      assert.equal(parseNetdef(text).networks[0]!.layers.length, 1);
    });
  });

  it('several errors in one file are all reported and the rest is analysed', () => {
    const text = [
      'network first framework=pytorch {',
      '  input 784',
      '  dense 512 activation=rleu init=he_normal',
      '  dense 256 activaton=relu',
      '  dense 128 activation=relu init=kaiming_normal(nonlinearity=relu',
      '  dropuot 0.5',
      '  dense 10 activation=softmax',
      '}',
      '',
      'network second {',
      '  input 3x32x32',
      '  conv2d 16 kernel=3 init=glorot_unifrom',
      '  dense 10',
      '  @',
      '}',
    ].join('\n');
    const result = parseNetdef(text);
    const sorted = [...result.findings].sort((a, b) => a.span.start - b.span.start).map((f) => [f.code, text.slice(f.span.start, f.span.end)]);
    assert.deepEqual(sorted, [
      ['IW002', 'rleu'],
      ['IW001', 'activaton'],
      ['IW001', '('],
      ['IW001', 'dropuot'],
      ['IW002', 'glorot_unifrom'],
      ['IW001', 'dense'],
      ['IW001', '@'],
    ]);
    const [first, second] = result.networks;
    assert.deepEqual(first!.layers.map((l) => l.fans?.fanOut), [512, 256, 128, 10]);
    assert.deepEqual(first!.layers.map((l) => l.init.semantics?.kind), ['kaiming', 'kaiming', undefined, 'kaiming']);
    assert.equal(first!.layers[3]!.activation !== 'unknown' && first!.layers[3]!.activation.name, 'softmax');
    assert.deepEqual(second!.layers.map((l) => l.fans), [{ fanIn: 27, fanOut: 144 }, undefined]);
  });
});
