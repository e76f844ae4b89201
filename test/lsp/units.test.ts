/** The server's pure pieces, without a process: fix-all selection, kind matching, the scheduler. */
import { strict as assert } from 'node:assert';
import type { Finding, Fix } from '../../server/src/core/findings';
import { LineIndex } from '../../server/src/core/text';
import { kindRequested } from '../../server/src/lsp/codeActions';
import { toDiagnostic } from '../../server/src/lsp/diagnostics';
import { selectSafeFixes } from '../../server/src/lsp/fixAll';
import { Scheduler } from '../../server/src/lsp/scheduler';

function fix(applicability: Fix['applicability'], ...spans: [number, number, string][]): Fix {
  return { title: 't', applicability, edits: spans.map(([start, end, newText]) => ({ span: { start, end }, newText })) };
}

function finding(...fixes: Fix[]): Finding {
  return { code: 'IW301', severity: 'info', span: { start: 0, end: 1 }, message: 'm', fixes, related: [] };
}

describe('lsp: fix-all selection', () => {
  it('takes safe fixes only, in document order', () => {
    const edits = selectSafeFixes([finding(fix('safe', [20, 25, 'b'])), finding(fix('unsafe', [0, 3, 'x']), fix('safe', [5, 8, 'a']))]);
    assert.deepEqual(edits.map((e) => e.newText), ['a', 'b']);
  });

  it('skips a fix that overlaps one already taken, whole (never half of a fix)', () => {
    const edits = selectSafeFixes([
      finding(fix('safe', [0, 10, 'first'])),
      finding(fix('safe', [5, 12, 'overlaps'], [40, 41, 'would-be-half'])),
      finding(fix('safe', [10, 12, 'adjacent'])),
    ]);
    assert.deepEqual(edits.map((e) => e.newText), ['first', 'adjacent']);
  });

  it('keeps two different insertions at one point, in the order of their findings (issue 13: init lines in layer order)', () => {
    const edits = selectSafeFixes([finding(fix('safe', [7, 7, 'a'])), finding(fix('safe', [7, 7, 'b']))]);
    assert.deepEqual(edits.map((e) => e.newText), ['a', 'b']);
  });

  it('takes the same insertion from two findings once', () => {
    const edits = selectSafeFixes([finding(fix('safe', [7, 7, 'a'])), finding(fix('safe', [7, 7, 'a']))]);
    assert.deepEqual(edits.map((e) => e.newText), ['a']);
  });

  it('still refuses an insertion where another fix replaces text', () => {
    const edits = selectSafeFixes([finding(fix('safe', [7, 9, 'x'])), finding(fix('safe', [7, 7, 'b']))]);
    assert.deepEqual(edits.map((e) => e.newText), ['x']);
  });
});

describe('lsp: finding -> diagnostic', () => {
  it('converts ranges, severity, docs link, related information and fixes with the version', () => {
    const text = 'network n {\r\n  input 4\n  dense 2 activation=relu init=zeros\n}\n';
    const at = (needle: string) => ({ start: text.indexOf(needle), end: text.indexOf(needle) + needle.length });
    const diagnostic = toDiagnostic(
      {
        code: 'IW104',
        severity: 'error',
        span: at('zeros'),
        message: 'all weights equal',
        fixes: [{ title: 'Use he_normal', applicability: 'unsafe', edits: [{ span: at('zeros'), newText: 'he_normal' }] }],
        related: [{ span: at('network n'), message: 'in this network' }],
      },
      'file:///x.netdef',
      7,
      new LineIndex(text),
    );
    const zeros = { start: { line: 2, character: 31 }, end: { line: 2, character: 36 } };
    assert.deepEqual(diagnostic, {
      range: zeros,
      severity: 1,
      code: 'IW104',
      codeDescription: { href: 'https://github.com/initwise/initwise/blob/main/docs/rules/IW104.md' },
      source: 'initwise',
      message: 'all weights equal',
      relatedInformation: [
        {
          location: { uri: 'file:///x.netdef', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 9 } } },
          message: 'in this network',
        },
      ],
      data: { version: 7, fixes: [{ title: 'Use he_normal', applicability: 'unsafe', edits: [{ range: zeros, newText: 'he_normal' }] }] },
    });
  });
});

describe('lsp: code action kinds', () => {
  it('matches hierarchically', () => {
    assert.ok(kindRequested(undefined, 'source.fixAll.initwise'));
    assert.ok(kindRequested([], 'quickfix'));
    assert.ok(kindRequested(['source'], 'source.fixAll.initwise'));
    assert.ok(kindRequested(['source.fixAll'], 'source.fixAll.initwise'));
    assert.ok(kindRequested(['source.fixAll.initwise'], 'source.fixAll.initwise'));
    assert.ok(!kindRequested(['quickfix'], 'source.fixAll.initwise'));
    assert.ok(!kindRequested(['source.fix'], 'source.fixAll.initwise'), 'prefix by segment, not by characters');
    assert.ok(!kindRequested(['source.fixAll'], 'quickfix'));
  });
});

describe('lsp: scheduler', () => {
  function deferred(): { promise: Promise<void>; resolve: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  }

  it('runs a burst once, after it', async () => {
    const runs: string[] = [];
    const done = deferred();
    const scheduler = new Scheduler(async (key) => {
      runs.push(key);
      done.resolve();
      return Promise.resolve();
    }, assert.fail);
    for (let i = 0; i < 10; i++) scheduler.schedule('a', 5);
    await done.promise;
    assert.deepEqual(runs, ['a']);
    scheduler.dispose();
  });

  it('runs an isolated change at once, without waiting out the quiet period', async () => {
    const done = deferred();
    const scheduler = new Scheduler(() => {
      done.resolve();
      return Promise.resolve();
    }, assert.fail);
    // A trailing-only debounce would wait a minute here and the test would time out.
    scheduler.schedule('a', 60_000);
    await done.promise;
    scheduler.dispose();
  });

  it('treats a change soon after the previous one as part of a burst', async () => {
    const runs: string[] = [];
    const ranA = deferred();
    const ranB = deferred();
    const scheduler = new Scheduler((key) => {
      runs.push(key);
      (key === 'a' ? ranA : ranB).resolve();
      return Promise.resolve();
    }, assert.fail);
    scheduler.schedule('a', 60_000);
    await ranA.promise;
    scheduler.schedule('a', 60_000);
    scheduler.schedule('b', 60_000);
    // Timers fire in deadline order: had the second 'a' been run at once, it would precede 'b'.
    await ranB.promise;
    assert.deepEqual(runs, ['a', 'b'], 'the second a waits out its quiet period');
    scheduler.dispose();
  });

  it('aborts the run in flight when the key is rescheduled, and reports errors instead of throwing', async () => {
    const signals: AbortSignal[] = [];
    const firstStarted = deferred();
    const releaseFirst = deferred();
    const second = deferred();
    const reported = deferred();
    const errors: unknown[] = [];
    const scheduler = new Scheduler(
      async (_key, signal) => {
        signals.push(signal);
        if (signals.length === 1) {
          firstStarted.resolve();
          await releaseFirst.promise;
          throw new Error('boom');
        }
        second.resolve();
      },
      (_key, error) => {
        errors.push(error);
        reported.resolve();
      },
    );
    scheduler.schedule('a', 0);
    await firstStarted.promise;
    scheduler.schedule('a', 0);
    assert.equal(signals[0]!.aborted, true, 'superseded run is aborted');
    await second.promise;
    assert.equal(signals[1]!.aborted, false);
    releaseFirst.resolve();
    await reported.promise;
    assert.equal((errors[0] as Error).message, 'boom');
    scheduler.dispose();
  });

  it('cancel drops a pending run', async () => {
    const ran: string[] = [];
    const later = deferred();
    const scheduler = new Scheduler((key) => {
      ran.push(key);
      if (key === 'b') later.resolve();
      return Promise.resolve();
    }, assert.fail);
    scheduler.schedule('a', 1);
    scheduler.schedule('b', 10);
    scheduler.cancel('a');
    // Timers fire in order of their deadlines: had 'a' survived, it would have run before 'b'.
    await later.promise;
    assert.deepEqual(ran, ['b']);
  });
});
