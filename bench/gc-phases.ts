// `npm run bench:gc`: where the garbage collector's time goes, phase by phase, in the library's run
// and in the floor's, from V8's own trace (--trace-gc-nvp). The volumes it prints (MB promoted to
// the old generation) vary by a few percent from run to run where wall-clock times on a shared
// host vary by half: a change that makes the library keep fewer objects shows here first.
//
//   npm run bench:gc                                  small-2000, one run of each
//   npm run bench:gc -- --size huge-4000,cross-2000 --runs 3
//
// Each run is its own process (bench/child.ts `phases` and `floor --marks`), started with
// --expose-gc so that both begin from a collected heap, as in `npm run bench`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sizeByName } from './generate';

const ROOT = resolve(__dirname, '..');
const TS_NODE = require.resolve('ts-node/dist/bin.js');
const CHILD = join(__dirname, 'child.ts');

const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const sizes = (option('size') ?? 'small-2000').split(',');
for (const size of sizes) sizeByName(size); // an unknown size fails here, with the sizes there are
const runs = Number(option('runs') ?? 1);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${option('runs')}: give a whole number of at least 1`);
const work = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'zt-gc-'));

interface Phase { name: string; ms: number; scavenges: number; pauseMs: number; promotedMb: number; fullGcMs: number }

/** One child run with the collector's trace; its output cut at the marks the child prints. */
function traced(args: string[]): Phase[] {
  const result = spawnSync(process.execPath, ['--expose-gc', '--trace-gc-nvp', TS_NODE, '--swc', CHILD, ...args], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
  const marksLine = result.stdout.split('\n').find((l) => l.startsWith('BENCH_MARKS '));
  if (result.status !== 0 || !marksLine) throw new Error(`bench child ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr}`);
  const marks = JSON.parse(marksLine.slice('BENCH_MARKS '.length)) as [string, number][];
  // One line per collection: "[pid:isolate] <ms since start> ms: pause=... gc=s|mc|... promoted=<bytes> ..."
  // (the isolate's clock and performance.now() both start with the process; they differ by a few ms).
  const gcs = result.stdout.split('\n').filter((l) => / gc=\w+ /.test(l)).map((l) => ({
    at: Number(/(\d+) ms: /.exec(l)![1]),
    kind: / gc=(\w+) /.exec(l)![1],
    pause: Number(/ pause=([\d.]+)/.exec(l)![1]),
    promoted: Number(/ promoted=(\d+)/.exec(l)?.[1] ?? 0),
  }));
  return marks.slice(1).map(([name, end], i) => {
    const start = marks[i][1];
    const inPhase = gcs.filter((g) => g.at >= start && g.at < end);
    const scavenges = inPhase.filter((g) => g.kind === 's');
    return {
      name,
      ms: end - start,
      scavenges: scavenges.length,
      pauseMs: scavenges.reduce((sum, g) => sum + g.pause, 0),
      promotedMb: scavenges.reduce((sum, g) => sum + g.promoted, 0) / 1e6,
      fullGcMs: inPhase.filter((g) => g.kind !== 's').reduce((sum, g) => sum + g.pause, 0),
    };
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const row = (who: string, phases: Phase[][]) => phases[0].map((p, i) => {
  const of = (k: keyof Omit<Phase, 'name'>) => median(phases.map((run) => run[i][k]));
  return `| ${who} | ${p.name} | ${(of('ms') / 1000).toFixed(2)} s | ${of('scavenges')} | ${of('pauseMs').toFixed(0)} ms | ${of('promotedMb').toFixed(1)} MB | ${of('fullGcMs').toFixed(0)} ms |`;
});

try {
  for (const size of sizes) {
    const docs = join(work, `${size}.json`);
    const prepared = spawnSync(process.execPath, ['--expose-gc', TS_NODE, '--swc', CHILD, 'prepare', '--size', size, '--docs', docs], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
    });
    if (prepared.status !== 0) throw new Error(`preparing ${size} failed:\n${prepared.stderr}`);
    const library: Phase[][] = [];
    const floor: Phase[][] = [];
    for (let i = 0; i < runs; i++) {
      process.stderr.write(`${size}: run ${i + 1}/${runs}\n`);
      library.push(traced(['phases', '--size', size, '--out', join(work, 'library')]));
      floor.push(traced(['floor', '--docs', docs, '--out', join(work, 'floor'), '--marks']));
    }
    process.stdout.write(`\n${size} (median of ${runs})\n\n| run | phase | time | scavenges | paused in them | promoted | full GCs |\n|---|---|---|---|---|---|---|\n`);
    process.stdout.write(`${[...row('library', library), ...row('floor', floor)].join('\n')}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
