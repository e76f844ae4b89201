/**
 * The TextMate grammar, tokenized by the same engine VS Code uses (vscode-textmate with
 * Oniguruma), and the language configuration.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadWASM, OnigScanner, OnigString } from 'vscode-oniguruma';
import { INITIAL, parseRawGrammar, Registry, type IGrammar, type StateStack } from 'vscode-textmate';
import { INITIALIZER_SPELLINGS } from '../../server/src/core/frontends/netdef/readInitializer';
import { STATEMENT_KEYWORDS } from '../../server/src/core/frontends/netdef/statements';
import { ACTIVATION_SPELLINGS } from '../../server/src/core/knowledge/activations';

const ROOT = path.join(__dirname, '..', '..');
const GRAMMAR = path.join(ROOT, 'syntaxes', 'netdef.tmLanguage.json');

async function loadGrammar(): Promise<IGrammar> {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new OnigScanner(patterns),
      createOnigString: (text: string) => new OnigString(text),
    }),
    loadGrammar: (scopeName: string) =>
      Promise.resolve(scopeName === 'source.netdef' ? parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR) : null),
  });
  const grammar = await registry.loadGrammar('source.netdef');
  assert.ok(grammar);
  return grammar;
}

/** Each token's text with its innermost scope (the one a theme colours). */
function tokenize(grammar: IGrammar, text: string): [string, string][] {
  const out: [string, string][] = [];
  let state: StateStack = INITIAL;
  for (const line of text.split('\n')) {
    const result = grammar.tokenizeLine(line, state);
    for (const token of result.tokens) {
      const piece = line.slice(token.startIndex, token.endIndex);
      if (piece.trim() !== '') out.push([piece.trim(), token.scopes[token.scopes.length - 1]!]);
    }
    state = result.ruleStack;
  }
  return out;
}

function scopeOf(tokens: [string, string][], text: string): string | undefined {
  return tokens.find(([t]) => t === text)?.[1];
}

describe('netdef grammar and language configuration', () => {
  let grammar: IGrammar;
  before(async () => {
    grammar = await loadGrammar();
  });

  it('highlights comments, the network header and braces', () => {
    const tokens = tokenize(grammar, '# a comment\nnetwork mlp framework=pytorch {  # trailing\n}');
    assert.equal(scopeOf(tokens, 'a comment'), 'comment.line.number-sign.netdef');
    assert.equal(scopeOf(tokens, 'network'), 'storage.type.network.netdef');
    assert.equal(scopeOf(tokens, 'mlp'), 'entity.name.type.network.netdef');
    assert.equal(scopeOf(tokens, 'framework'), 'variable.parameter.option.netdef');
    assert.equal(scopeOf(tokens, 'pytorch'), 'constant.language.netdef');
    assert.equal(scopeOf(tokens, '{'), 'punctuation.section.block.begin.netdef');
    assert.equal(scopeOf(tokens, '}'), 'punctuation.section.block.end.netdef');
    assert.equal(scopeOf(tokens, 'trailing'), 'comment.line.number-sign.netdef');
  });

  it('highlights statements, option keys, activations, initializers and numbers', () => {
    const tokens = tokenize(grammar, [
      '  input 3x32x32',
      '  repeat 4 {',
      '    Conv2D 64 kernel=3x3 stride=2 padding=same activation=ReLU init=kaiming_normal(mode=fan_out, nonlinearity=relu, a=1e-2)',
      '    activation leaky_relu(0.2)',
      '    dropout 0.5',
      '  }',
      '  residual scale=sqrt(2) {',
      '  dense 10 init=xavier_uniform(gain=5/3) bias=default',
    ].join('\n'));
    assert.equal(scopeOf(tokens, 'input'), 'keyword.other.statement.netdef');
    assert.equal(scopeOf(tokens, 'Conv2D'), 'keyword.other.statement.netdef');
    assert.equal(scopeOf(tokens, 'dropout'), 'keyword.other.statement.netdef');
    assert.equal(scopeOf(tokens, 'repeat'), 'keyword.control.block.netdef');
    assert.equal(scopeOf(tokens, 'residual'), 'keyword.control.block.netdef');
    assert.equal(scopeOf(tokens, '3x32x32'), 'constant.numeric.shape.netdef');
    assert.equal(scopeOf(tokens, '64'), 'constant.numeric.netdef');
    assert.equal(scopeOf(tokens, '1e-2'), 'constant.numeric.netdef');
    assert.equal(scopeOf(tokens, 'kernel'), 'variable.parameter.option.netdef');
    assert.equal(scopeOf(tokens, 'bias'), 'variable.parameter.option.netdef');
    assert.equal(scopeOf(tokens, 'ReLU'), 'support.function.activation.netdef');
    assert.equal(scopeOf(tokens, 'leaky_relu'), 'support.function.activation.netdef');
    assert.equal(scopeOf(tokens, 'kaiming_normal'), 'support.function.initializer.netdef');
    assert.equal(scopeOf(tokens, 'xavier_uniform'), 'support.function.initializer.netdef');
    assert.equal(scopeOf(tokens, 'default'), 'support.function.initializer.netdef');
    assert.equal(scopeOf(tokens, 'mode'), 'variable.parameter.argument.netdef');
    assert.equal(scopeOf(tokens, 'fan_out'), 'constant.language.netdef');
    assert.equal(scopeOf(tokens, 'same'), 'constant.language.netdef');
    assert.equal(scopeOf(tokens, 'sqrt'), 'support.function.math.netdef');
  });

  it('highlights recurrent statements and their options', () => {
    const tokens = tokenize(grammar, '  LSTM 128 recurrent_init=orthogonal forget_bias=1 steps=50 bidirectional=true');
    assert.equal(scopeOf(tokens, 'LSTM'), 'keyword.other.statement.netdef');
    for (const key of ['recurrent_init', 'forget_bias', 'steps', 'bidirectional']) assert.equal(scopeOf(tokens, key), 'variable.parameter.option.netdef', key);
    assert.equal(scopeOf(tokens, 'orthogonal'), 'support.function.initializer.netdef');
  });

  it('the grammar lists every statement, activation and initializer the frontend accepts', () => {
    for (const keyword of STATEMENT_KEYWORDS) {
      const line = keyword === 'network' ? 'network x {' : `  ${keyword} 1`;
      const scope = tokenize(grammar, line)[0]![1];
      assert.match(scope, /^(keyword|storage)\./, `${keyword}: ${scope}`);
    }
    for (const name of ACTIVATION_SPELLINGS) {
      assert.equal(scopeOf(tokenize(grammar, `  dense 1 activation=${name}`), name), 'support.function.activation.netdef', name);
    }
    for (const name of INITIALIZER_SPELLINGS) {
      const scope = scopeOf(tokenize(grammar, `  dense 1 init=${name}`), name);
      assert.ok(scope === 'support.function.initializer.netdef' || scope === 'constant.language.netdef', `${name}: ${scope}`);
    }
  });

  it('the manifest points at the grammar and a configuration with # comments and {} () brackets', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      contributes: { languages: { id: string; configuration: string }[]; grammars: { language: string; path: string; scopeName: string }[] };
    };
    const language = manifest.contributes.languages.find((l) => l.id === 'netdef')!;
    const grammarEntry = manifest.contributes.grammars.find((g) => g.language === 'netdef')!;
    assert.ok(fs.existsSync(path.join(ROOT, grammarEntry.path)));
    assert.equal(grammarEntry.scopeName, 'source.netdef');
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, language.configuration), 'utf8')) as {
      comments: { lineComment: string }; brackets: string[][]; autoClosingPairs: { open: string; close: string }[];
    };
    assert.equal(config.comments.lineComment, '#');
    assert.deepEqual(config.brackets, [['{', '}'], ['(', ')']]);
    assert.deepEqual(config.autoClosingPairs.map((p) => p.open + p.close), ['{}', '()']);
  });
});
