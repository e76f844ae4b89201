/**
 * The reproducers of issue 12, generated (no committed megabytes). Each names the
 * figure the issue measured before the fix.
 */

const IMPORT = 'import torch.nn as nn\n';

/** One 64 KB .netdef line with 4,000 `activation=relu` options (before: 18 s, 1.2 GB, 384 MB of output). */
export function longNetdefLine(options = 4000): string {
  return `network n {\n  input 8\n  dense 8 ${Array.from({ length: options }, () => 'activation=relu').join(' ')}\n}\n`;
}

/** `nn.Sequential(` with 4,000 `nn.Linear(8, 8), nn.ReLU(),` on one line (before: 26 s, 1.3 GB). */
export function longPythonLine(pairs = 4000): string {
  return `${IMPORT}model = nn.Sequential(${'nn.Linear(8, 8), nn.ReLU(), '.repeat(pairs)})\n`;
}

/** `w = 1+1+…+1` (valid Python; CPython compiles it), used as a width (before: stack overflow, exit 2). */
export function longSum(terms = 2000): string {
  return `${IMPORT}w = ${Array.from({ length: terms }, () => '1').join('+')}\nmodel = nn.Sequential(nn.Linear(w, 8), nn.ReLU())\n`;
}

/** nn.Sequential nested 800 deep (before: stack overflow, exit 2). */
export function nestedSequential(depth = 800): string {
  return `${IMPORT}model = ${'nn.Sequential('.repeat(depth)}nn.Linear(8, 8)${')'.repeat(depth)}\n`;
}

/** `f(f(…f(1)…))` 1,000 deep inside a model (before: stack overflow). */
export function nestedCalls(depth = 1000): string {
  return `${IMPORT}model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), ${'f('.repeat(depth)}1${')'.repeat(depth)})\n`;
}

/** A network of 130,000 layers, each a finding (before: RangeError from `raw.push(...findings)`). */
export function manyFindings(layers = 130_000): string {
  return `network n {\n  input 8\n${'  dense 8 activation=relu init=zeros\n'.repeat(layers)}}\n`;
}

/** `layers.append` inside two nested `range(1000)` loops (before: 22 s and 400 MB, then "All checks passed."). */
export function appendLoops(): string {
  return [
    IMPORT.trimEnd(),
    'class Model(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        layers = []',
    '        for i in range(1000):',
    '            for j in range(1000):',
    '                layers.append(nn.Linear(8, 8))',
    '        self.net = nn.Sequential(*layers)',
    '',
    '    def forward(self, x):',
    '        return self.net(x)',
    '',
  ].join('\n');
}

/**
 * The same million appends with the inner loop in a function the outer loop calls: each body is
 * under the unroll limit (a called function's loops start a nest of their own), so the step
 * budget runs out (IW003).
 */
export function appendLoopsThroughCall(): string {
  return [
    IMPORT.trimEnd(),
    '',
    'def add_layers(layers):',
    '    for j in range(1000):',
    '        layers.append(nn.Linear(8, 8))',
    '',
    'class Model(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        layers = []',
    '        for i in range(1000):',
    '            add_layers(layers)',
    '        self.net = nn.Sequential(*layers)',
    '',
    '    def forward(self, x):',
    '        return self.net(x)',
    '',
  ].join('\n');
}

/** Comment lines inside a `def` (before: 4,000 took 7.5 s; 16,000 took 128 s). */
export function commentsInDef(lines = 16_000): string {
  return [
    IMPORT.trimEnd(),
    'class Model(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    ...Array.from({ length: lines }, (_, i) => `        # note ${i}`),
    '        self.fc1 = nn.Linear(64, 64)',
    '        self.fc2 = nn.Linear(64, 10)',
    '',
    '    def forward(self, x):',
    '        return self.fc2(nn.functional.relu(self.fc1(x)))',
    '',
  ].join('\n');
}

/** A PyTorch MLP on the default init under ReLU (two IW301 findings), with the given line ending. */
export function mlpWithLineEnding(eol: string): string {
  return [
    IMPORT.trimEnd(),
    'import torch.nn.functional as F',
    '',
    'class Classifier(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.fc1 = nn.Linear(784, 512)',
    '        self.fc2 = nn.Linear(512, 512)',
    '        self.fc3 = nn.Linear(512, 10)',
    '',
    '    def forward(self, x):',
    '        x = F.relu(self.fc1(x))',
    '        x = F.relu(self.fc2(x))',
    '        return self.fc3(x)',
    '',
  ].join(eol);
}

/** A Python file past the frontend's length limit (before: silently no analysis). */
export function hugePython(): string {
  const line = 'model = nn.Sequential(nn.Linear(8, 8), nn.ReLU())  # filler to make the file long\n';
  return IMPORT + line.repeat(Math.ceil(5_100_000 / line.length));
}

/** Copies of a 12-layer MLP whose ten hidden layers are written `hidden`, until the text reaches 20 MB. */
function twentyMegabytesOfMlps(hidden: string): string {
  const network = (n: number) =>
    `network net_${n} framework=pytorch {\n  input 64\n${`  dense 64 activation=relu init=${hidden}\n`.repeat(10)}  dense 10 init=xavier_uniform\n}\n`;
  const parts: string[] = [];
  let size = 0;
  for (let n = 0; size < 20 * 1024 * 1024; n++) {
    const text = network(n);
    parts.push(text);
    size += text.length;
  }
  return parts.join('');
}

/** About 20 MB of .netdef with no findings: 28,000 He-initialised ReLU MLPs (before: 1.8 GB peak RSS). */
export function twentyMegabytes(): string {
  return twentyMegabytesOfMlps('kaiming_normal(nonlinearity=relu)');
}

/** About 20 MB of .netdef with ~450,000 findings: Glorot under ReLU in 37,000 MLPs (before: 2.2 GB peak RSS for the text report). */
export function twentyMegabytesOfFindings(): string {
  return twentyMegabytesOfMlps('glorot_uniform');
}

/**
 * `classes` model classes, each building its layers in two nested loops (`loop`² appends):
 * one long analysis made of many units (issue 12, item 4: the server must answer other
 * documents meanwhile, and drop it when the document changes).
 */
export function manyLoopModels(classes = 40, loop = 30): string {
  const lines = [IMPORT.trimEnd(), ''];
  for (let c = 0; c < classes; c++) {
    lines.push(
      `class Model${c}(nn.Module):`,
      '    def __init__(self):',
      '        super().__init__()',
      '        layers = []',
      `        for i in range(${loop}):`,
      `            for j in range(${loop}):`,
      '                layers.append(nn.Linear(8, 8))',
      '                layers.append(nn.ReLU())',
      '        self.net = nn.Sequential(*layers)',
      '',
      '    def forward(self, x):',
      '        return self.net(x)',
      '',
    );
  }
  return lines.join('\n');
}

/** `count` .netdef networks of `layers` dense layers each: a long analysis of many networks. */
export function manyNetworks(count = 150, layers = 100): string {
  const body = '  dense 64 activation=relu init=glorot_uniform\n'.repeat(layers);
  return Array.from({ length: count }, (_, i) => `network n${i} {\n  input 64\n${body}}\n`).join('');
}
