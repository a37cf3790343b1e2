// `npm run bench`: the app built through the public API and synthesized (what `cdk8s synth` runs)
// against the raw-YAML floor, for three mesh shapes (issue 11), how that time grows with the mesh,
// the analyzer against parsing the YAML, and the reference app's cold start against an empty app.
// Every measurement runs in a fresh child process (bench/child.ts), so that peak RSS is its own.
//
//   npm run bench -- [--shape small,huge,cross] [--dataplane sidecar,ambient] [--max-size 4000] [--runs 5] [--growth-runs 3]
//                    [--stock NAME,...|none] [--analyzer-runs 3] [--no-analyzer] [--no-cold]
//                    [--cold-runs 9] [--analyzer-timeout 120] [--work DIR] [--json FILE] [--keep]
//
// Shapes (bench/generate.ts): small = many small namespaces (scale = namespaces, 10 workloads and
// 30 edges each), huge = 5 namespaces of `scale` workloads (6 edges per workload), cross = `scale`
// namespaces, 40 edges each, 90% of them across namespaces, 2 namespaces in 3 with an external
// service. Targets are at small-2000, huge-4000 and cross-2000; the growth ladder goes up to
// --max-size (default 4,000; 16,000 is the issue's full run, about 15 minutes on 2 cores).
//
// Timings are wall-clock on whatever else the machine is doing: library and floor runs alternate,
// and the medians are compared. Nothing here is asserted by a unit test.
import { spawnSync } from 'node:child_process';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ambient, MeshShape, MeshSize, meshSize, SHAPES, TARGET_SCALES } from './generate';

const ROOT = resolve(__dirname, '..');
const TS_NODE = require.resolve('ts-node/dist/bin.js');
const CHILD = join(__dirname, 'child.ts');

// ---------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
function option(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}
const flag = (name: string) => argv.includes(`--${name}`);
const shapes = (option('shape') ?? SHAPES.join(',')).split(',').map((s) => {
  if (!SHAPES.includes(s as MeshShape)) throw new Error(`--shape ${s}: use one or more of ${SHAPES.join(', ')}`);
  return s as MeshShape;
});
// The data planes to measure each size with (default sidecars): `ambient` adds `<size>-ambient`, the
// same shape declared with ztunnel and waypoints (bench/generate.ts `ambient`).
const dataplanes = (option('dataplane') ?? 'sidecar').split(',').map((d) => {
  if (d !== 'sidecar' && d !== 'ambient') throw new Error(`--dataplane ${d}: use sidecar, ambient or both`);
  return d;
});
const maxSize = Number(option('max-size') ?? 4000);
const runs = Number(option('runs') ?? 5);
const growthRuns = Number(option('growth-runs') ?? 3);
const stockSizes = new Set((option('stock') ?? 'small-2000').split(',').filter((s) => s !== 'none'));
const stockRuns = Number(option('stock-runs') ?? 1);
const coldRuns = Number(option('cold-runs') ?? 9);
const analyzerRuns = Number(option('analyzer-runs') ?? 3);
const analyzerTimeoutMs = Number(option('analyzer-timeout') ?? 120) * 1000;
// Output goes to a RAM-backed folder when there is one, so that the disk (and whatever else writes
// to it) does not blur the comparison; every measurement writes to the same place.
const workBase = option('work') ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const work = mkdtempSync(join(workBase, 'zt-bench-'));

/**
 * The scales measured for a shape: its target scale, and a ladder of 4x steps up to --max-size
 * (small and cross from 1,000 and 500 namespaces, huge from 1,000 workloads per namespace).
 */
const LADDERS: Record<MeshShape, readonly number[]> = {
  small: [1_000, 2_000, 4_000, 8_000, 16_000],
  huge: [1_000, 4_000, 16_000],
  cross: [500, 2_000, 8_000],
};
const plan: MeshSize[] = dataplanes.flatMap((dataplane) => shapes.flatMap((shape) => LADDERS[shape]
  .filter((scale) => scale <= maxSize || scale === TARGET_SCALES[shape])
  .map((scale) => (dataplane === 'ambient' ? ambient(meshSize(shape, scale)) : meshSize(shape, scale)))));

// ---------------------------------------------------------------------------------------------
// Helpers

interface Result {
  readonly mode: string;
  readonly maxRssMb: number;
  /** The measured time: build + synth (library), stringify + write (floor), the command (analyzer). */
  readonly ms?: number;
  readonly synthMs?: number;
  readonly buildMs?: number;
  readonly cpuMs?: number;
  readonly processMs?: number;
  readonly skipped?: string;
  readonly [key: string]: unknown;
}

/** Runs bench/child.ts in a fresh node process and returns the BENCH_RESULT it prints. */
function child(args: string[], timeoutMs?: number): Result {
  const result = spawnSync(process.execPath, ['--expose-gc', TS_NODE, '--swc', CHILD, ...args], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
    ...(timeoutMs !== undefined ? { timeout: timeoutMs, killSignal: 'SIGKILL' as const } : {}),
  });
  if (timeoutMs !== undefined && result.error && (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    return { mode: args[0], maxRssMb: NaN, skipped: `did not finish within ${timeoutMs / 1000} s` };
  }
  const line = result.stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (result.status !== 0 || !line) {
    throw new Error(`bench child ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr}${result.stdout}`);
  }
  return JSON.parse(line.slice('BENCH_RESULT '.length)) as Result;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

interface Summary {
  readonly ms: number;
  readonly cpuMs: number;
  readonly buildMs?: number;
  readonly synthMs?: number;
  readonly processMs?: number;
  readonly rssMb: number;
  readonly runs: number[];
}

/** Runs each measurement `times` times, one of each in turn, and summarizes each. */
function alternate(times: number, measurements: [label: string, args: () => string[]][]): Summary[] {
  const all: Result[][] = measurements.map(() => []);
  for (let i = 0; i < times; i++) {
    measurements.forEach(([label, args], m) => {
      process.stderr.write(`  ${label} run ${i + 1}/${times}...`);
      const r = child(args());
      process.stderr.write(` ${fmtMs(r.ms!)} (CPU ${fmtMs(r.cpuMs ?? NaN)}), ${Math.round(r.maxRssMb)} MB\n`);
      all[m].push(r);
    });
  }
  return all.map(summarize);
}

function summarize(results: Result[]): Summary {
  const med = (key: 'buildMs' | 'synthMs' | 'processMs' | 'cpuMs') => {
    const values = results.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
    return values.length > 0 ? median(values) : undefined;
  };
  return {
    ms: median(results.map((r) => r.ms!)),
    cpuMs: med('cpuMs') ?? NaN,
    buildMs: med('buildMs'),
    synthMs: med('synthMs'),
    processMs: med('processMs'),
    rssMb: Math.max(...results.map((r) => r.maxRssMb)),
    runs: results.map((r) => r.ms!),
  };
}

/** Both folders hold the same files with the same bytes. */
function sameOutput(a: string, b: string): string | undefined {
  const fa = readdirSync(a).sort();
  const fb = readdirSync(b).sort();
  if (fa.join('\n') !== fb.join('\n')) return `different files: ${fa.length} vs ${fb.length}`;
  for (const f of fa) {
    if (!readFileSync(join(a, f)).equals(readFileSync(join(b, f)))) return `${f} differs`;
  }
  return undefined;
}

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
const fmtX = (x: number) => `${x.toFixed(2)}x`;
const fmtN = (n: number) => n.toLocaleString('en-US');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const isTarget = (size: MeshSize) => size.scale === TARGET_SCALES[size.shape];

// ---------------------------------------------------------------------------------------------
// Build + synth at each size, against the floor

interface SizeResult {
  readonly size: MeshSize;
  readonly counts: Result;
  readonly library: Summary;
  readonly floor: Summary;
  readonly stock?: Summary;
  readonly libraryDir: string;
  readonly loadAfter: number;
}

function measureSize(size: MeshSize): SizeResult {
  process.stderr.write(`${size.name}: ${fmtN(size.namespaces)} namespaces, ${fmtN(size.workloads)} workloads, ${fmtN(size.edges)} edges\n`);
  const docs = join(work, `${size.name}.json`);
  // The documents for the floor and stock cdk8s: the library's own compiled output, written to a
  // file before anything is timed.
  const counts = child(['prepare', '--size', size.name, '--docs', docs]);
  const libraryDir = join(work, `library-${size.name}`);
  const floorDir = join(work, `floor-${size.name}`);
  // Alternate library and floor runs, so that whatever else the machine does hits both alike.
  const [library, floor] = alternate(isTarget(size) ? runs : growthRuns, [
    ['library', () => ['library', '--size', size.name, '--out', libraryDir]],
    ['floor  ', () => ['floor', '--docs', docs, '--out', floorDir]],
  ]);
  const mismatch = sameOutput(libraryDir, floorDir);
  if (mismatch) throw new Error(`${size.name}: the library's output and the floor's differ (${mismatch}); the floor must write the very same bytes`);
  let stock: Summary | undefined;
  if (stockSizes.has(size.name)) {
    [stock] = alternate(stockRuns, [['stock  ', () => ['stock', '--docs', docs, '--out', join(work, `stock-${size.name}`)]]]);
    const files = readdirSync(join(work, `stock-${size.name}`)).length;
    if (files !== counts.files) throw new Error(`${size.name}: stock cdk8s wrote ${files} files, expected ${counts.files}`);
    rmSync(join(work, `stock-${size.name}`), { recursive: true, force: true });
  }
  rmSync(floorDir, { recursive: true, force: true });
  rmSync(docs, { force: true });
  // Only the analyzer's folder is kept: the others would fill a RAM-backed work folder.
  if (!(size.shape === 'small' && isTarget(size) && !size.dataplane)) rmSync(libraryDir, { recursive: true, force: true });
  return { size, counts, library, floor, stock, libraryDir, loadAfter: loadavg()[0] };
}

// ---------------------------------------------------------------------------------------------
// The analyzer at small-2000: explain, graph --to and diff (one edge, the mesh-wide default, and
// one edge against a git ref)
// against parsing the YAML each reads

const ANALYZER_COMMANDS = ['explain', 'graph', 'diff', 'diff-mesh', 'diff-base'] as const;
type AnalyzerCommand = (typeof ANALYZER_COMMANDS)[number];

interface AnalyzerResult {
  readonly size: MeshSize;
  readonly parse: Summary;
  readonly parse2: Summary;
  readonly commands: Record<AnalyzerCommand, Summary | { skipped: string }>;
  readonly details: Record<AnalyzerCommand, Result | undefined>;
}

function measureAnalyzer(r: SizeResult): AnalyzerResult {
  process.stderr.write(`analyzer at ${r.size.name}\n`);
  const results: Record<string, Result[]> = {};
  const skipped: Record<string, string> = {};
  const steps: [string, string[]][] = [
    ['parse', ['parse', '--out', r.libraryDir]],
    ['parse2', ['parse', '--out', r.libraryDir, '--twice']],
    ['explain', ['explain', '--out', r.libraryDir]],
    ['graph', ['graph', '--out', r.libraryDir]],
    ['diff', ['diff', '--out', r.libraryDir, '--work', work]],
    ['diff-mesh', ['diff', '--out', r.libraryDir, '--work', work, '--change', 'mesh-mtls']],
    ['diff-base', ['diff', '--out', r.libraryDir, '--work', work, '--base']],
  ];
  for (let i = 0; i < analyzerRuns; i++) {
    for (const [name, args] of steps) {
      if (skipped[name]) continue;
      process.stderr.write(`  ${name.padEnd(9)} run ${i + 1}/${analyzerRuns}...`);
      let result: Result;
      try {
        result = child(args, analyzerTimeoutMs);
      } catch (error) {
        // The analyzer is another piece of work: report its failure, do not lose the other results.
        result = { mode: name, maxRssMb: NaN, skipped: `failed: ${(error as Error).message.split('\n').slice(0, 3).join(' ').slice(0, 300)}` };
      }
      if (result.skipped) {
        skipped[name] = result.skipped;
        process.stderr.write(` ${result.skipped}\n`);
        continue;
      }
      process.stderr.write(` ${fmtMs(result.ms!)}, ${Math.round(result.maxRssMb)} MB\n`);
      (results[name] ??= []).push(result);
    }
  }
  const summary = (name: string) => (skipped[name] ? { skipped: skipped[name] } : summarize(results[name]));
  const commands = Object.fromEntries(ANALYZER_COMMANDS.map((c) => [c, summary(c)])) as AnalyzerResult['commands'];
  const details = Object.fromEntries(ANALYZER_COMMANDS.map((c) => [c, results[c]?.[0]])) as AnalyzerResult['details'];
  return { size: r.size, parse: summary('parse') as Summary, parse2: summary('parse2') as Summary, commands, details };
}

// ---------------------------------------------------------------------------------------------
// Cold start: `cdk8s synth` of the reference app and of an empty app, same runner

interface ColdResult { readonly label: string; readonly command: string; readonly ms: number[] }

function coldStart(): { cli: [ColdResult, ColdResult]; runner: [ColdResult, ColdResult] } {
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const out = join(work, 'cold');
  const env = { ...process.env, CDK8S_CHECK_UPGRADE: 'false', CDK8S_OUTDIR: out };
  const time = (args: string[]) => {
    const t0 = performance.now();
    const r = spawnSync(npx, args, { cwd: ROOT, env, encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${npx} ${args.join(' ')} failed:\n${r.stderr}`);
    return ms;
  };
  const reference = 'npx ts-node --swc apps/main.ts';
  const empty = 'npx ts-node --swc bench/empty-app.ts';
  const cli = (app: string) => ['--no-install', 'cdk8s', 'synth', '--no-check-upgrade', '--app', app, '--output', out];
  const runner = (app: string) => app.split(' ').slice(1);
  const results = {
    cli: [{ label: 'reference app', command: `cdk8s synth --app "${reference}"`, ms: [] as number[] },
      { label: 'empty app', command: `cdk8s synth --app "${empty}"`, ms: [] as number[] }] as [ColdResult, ColdResult],
    runner: [{ label: 'reference app', command: reference, ms: [] as number[] },
      { label: 'empty app', command: empty, ms: [] as number[] }] as [ColdResult, ColdResult],
  };
  // One warm-up of each (file-system cache, npx's lookup), then alternate so that drift hits both.
  time(cli(reference));
  time(cli(empty));
  for (let i = 0; i < coldRuns; i++) {
    process.stderr.write(`  cold start run ${i + 1}/${coldRuns}\n`);
    results.cli[0].ms.push(time(cli(reference)));
    results.cli[1].ms.push(time(cli(empty)));
    results.runner[0].ms.push(time(runner(reference)));
    results.runner[1].ms.push(time(runner(empty)));
  }
  rmSync(out, { recursive: true, force: true });
  return results;
}

// ---------------------------------------------------------------------------------------------
// Main

function main(): void {
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  const machine = `${cpus().length} cores (${cpuModel}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory (${(freemem() / 2 ** 30).toFixed(1)} free), node ${process.version}, ${process.platform}/${process.arch}`;
  const loadAtStart = loadavg();
  process.stderr.write(`${machine}\nwork folder: ${work}\nsizes: ${plan.map((s) => s.name).join(', ')}\n`);

  const results = plan.map(measureSize);
  const out: string[] = [];
  const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  out.push(`# zero-trust bench\n\n${machine}\nruns: ${runs} at the target sizes, ${growthRuns} at the other sizes (library and floor alternating; median time, highest peak RSS); ` +
    `load average (1, 5, 15 min) ${fmtLoad(loadAtStart)} at the start, ${fmtLoad(loadavg())} after the synth measurements\n`);

  out.push('## Build + synth against the floor\n');
  out.push(table(
    ['size', 'ns / workloads / edges / external', 'objects', 'library build + synth', '(build)', 'floor', 'library / floor', 'fastest', 'CPU', 'whole process', 'peak RSS library / floor', 'stock cdk8s', 'load after'],
    results.map((r) => [
      `${r.size.name}${isTarget(r.size) ? ' *' : ''}`,
      `${fmtN(r.size.namespaces)} / ${fmtN(r.size.workloads)} / ${fmtN(r.counts.edges as number)} / ${fmtN(r.counts.externalServices as number)}`,
      fmtN(r.counts.objects as number),
      fmtMs(r.library.ms),
      fmtMs(r.library.buildMs!),
      fmtMs(r.floor.ms),
      fmtX(r.library.ms / r.floor.ms),
      fmtX(Math.min(...r.library.runs) / Math.min(...r.floor.runs)),
      fmtX(r.library.cpuMs / r.floor.cpuMs),
      fmtX(r.library.processMs! / r.floor.processMs!),
      `${Math.round(r.library.rssMb)} / ${Math.round(r.floor.rssMb)} MB`,
      r.stock ? `${fmtMs(r.stock.ms)} (${fmtX(r.stock.ms / r.floor.ms)})` : '-',
      r.loadAfter.toFixed(2),
    ]),
  ));
  out.push('\n`*`: the sizes issue 11 sets the 1.5x target at. library build + synth: what `cdk8s synth` runs, timed in the app\'s process: ' +
    'the mesh built through the public API (bench/generate.ts `buildMesh`; the generator\'s random choices are made before the clock, as the floor\'s documents are read before its clock), then `App.synth()` (validation, compilation, cdk8s, YAML, files); (build) is the first part. ' +
    'floor: the same documents (the library\'s compiled output, read before the clock starts) written with `yaml` (cdk8s\'s options), one file per ' +
    'namespace; its files are checked to be byte-identical to the library\'s. fastest: the fastest library run over the fastest floor run, which one slow run of ' +
    'either side (a busy host) does not move; the targets are on the medians. CPU: the same ratio in CPU time (user + system, GC threads included). ' +
    'whole process: from node\'s start (runner and module loading included) to the last file written, the floor without reading its documents. ' +
    'stock cdk8s: the same documents as plain ApiObjects, one Chart per namespace (not a target). Peak RSS includes node and ts-node (about 150 MB).\n');

  // Growth: every pair of measured sizes of a shape 4x apart.
  const growth: { shape: MeshShape; a: SizeResult; b: SizeResult }[] = [];
  for (const a of results) {
    for (const b of results) if (b.size.shape === a.size.shape && b.size.dataplane === a.size.dataplane && b.size.scale === a.size.scale * 4) growth.push({ shape: a.size.shape, a, b });
  }
  if (growth.length > 0) {
    out.push('## Growth (4x the mesh)\n');
    out.push(table(['shape', 'step', 'library', 'library, CPU', 'floor', 'floor, CPU', 'library / floor at the larger size'],
      growth.map(({ shape, a, b }) => [shape, `${a.size.name} -> ${b.size.name}`, fmtX(b.library.ms / a.library.ms), fmtX(b.library.cpuMs / a.library.cpuMs),
        fmtX(b.floor.ms / a.floor.ms), fmtX(b.floor.cpuMs / a.floor.cpuMs), fmtX(b.library.ms / b.floor.ms)])));
    out.push('\nTime (build + synth) at the larger size / time at the smaller one (medians; CPU: user + system time, which a loaded machine disturbs less); ' +
      'the mesh (namespaces or workloads per namespace, workloads, edges) is 4x.\n');
  }

  let analyzer: AnalyzerResult | undefined;
  const analyzerSize = results.find((r) => r.size.shape === 'small' && isTarget(r.size) && !r.size.dataplane);
  if (!flag('no-analyzer') && analyzerSize) {
    analyzer = measureAnalyzer(analyzerSize);
    out.push(`## Analyzer at ${analyzer.size.name} (median of ${analyzerRuns})\n`);
    const base = (c: AnalyzerCommand) => (c.startsWith('diff') ? analyzer!.parse2 : analyzer!.parse);
    const cell = (c: AnalyzerCommand) => {
      const s = analyzer!.commands[c];
      return 'skipped' in s ? [s.skipped, '-', '-'] : [fmtMs(s.ms), fmtX(s.ms / base(c).ms), `${Math.round(s.rssMb)} MB`];
    };
    const what: Record<AnalyzerCommand, string> = {
      explain: 'zero-trust explain (one request an edge admits)',
      graph: 'zero-trust graph --to <namespace>',
      diff: 'zero-trust diff (one ALLOW policy removed)',
      'diff-mesh': 'zero-trust diff (mesh-wide PeerAuthentication STRICT -> PERMISSIVE)',
      'diff-base': 'zero-trust diff --base HEAD (one ALLOW policy removed in the working tree)',
    };
    out.push(table(['command', 'time', 'vs parse', 'peak RSS', 'parse baseline'],
      ANALYZER_COMMANDS.map((c) => [what[c], ...cell(c), `${fmtMs(base(c).ms)} (${c.startsWith('diff') ? 'both folders' : 'one folder'})`])));
    const request = analyzer.details.explain?.request;
    const meshLine = analyzer.details['diff-mesh']?.summary;
    out.push('\nparse: read every file, `yaml.parseAllDocuments`, `toJS` (what the analyzer\'s loader does), once per folder the command reads. ' +
      'Each command runs in-process (lib/cli/main.ts `run`), loading and parsing included' +
      `${request ? `; explain: \`${request}\`` : ''}${meshLine ? `; the mesh-wide diff reports: \`${meshLine}\`` : ''}. Timeout ${analyzerTimeoutMs / 1000} s per measurement.\n`);
  }

  let cold: ReturnType<typeof coldStart> | undefined;
  if (!flag('no-cold')) {
    process.stderr.write('cold start\n');
    cold = coldStart();
    out.push(`## Cold start (median of ${coldRuns}, alternating)\n`);
    const rows = ([['cdk8s synth', cold.cli], ['runner only', cold.runner]] as const).flatMap(([what, [ref, empty]]) => [
      [what, ref.command, fmtMs(median(ref.ms)), fmtX(median(ref.ms) / median(empty.ms))],
      [what, empty.command, fmtMs(median(empty.ms)), '1.00x'],
    ]);
    out.push(table(['how', 'command', 'median', 'vs empty app'], rows));
    out.push('');
  }

  out.push('## Targets\n');
  const check = (ok: boolean | undefined, text: string) => out.push(`- ${ok === undefined ? 'n/a ' : ok ? 'PASS' : 'FAIL'} ${text}`);
  for (const r of results.filter((x) => isTarget(x.size))) {
    check(r.library.ms / r.floor.ms <= 1.5, `${r.size.name}: build + synth within 1.5x of the floor (${fmtX(r.library.ms / r.floor.ms)} wall, ${fmtX(r.library.cpuMs / r.floor.cpuMs)} CPU)`);
  }
  for (const { a, b } of growth) {
    check(b.library.ms / a.library.ms <= 4.5, `growth ${a.size.name} -> ${b.size.name} (4x the mesh): within 4.5x the time (${fmtX(b.library.ms / a.library.ms)} wall, ${fmtX(b.library.cpuMs / a.library.cpuMs)} CPU)`);
  }
  const largest = [...results].sort((x, y) => y.size.workloads + y.size.edges - (x.size.workloads + x.size.edges))[0];
  if (largest) check(largest.library.rssMb < 2048, `largest size (${largest.size.name}): peak memory under 2 GB (${Math.round(largest.library.rssMb)} MB)`);
  if (analyzer) {
    for (const c of ANALYZER_COMMANDS) {
      const s = analyzer.commands[c];
      const base = c.startsWith('diff') ? analyzer.parse2 : analyzer.parse;
      check('skipped' in s ? false : s.ms / base.ms <= 1.5, `analyzer ${c} at ${analyzer.size.name} within 1.5x of parsing the YAML it reads (${'skipped' in s ? s.skipped : fmtX(s.ms / base.ms)})`);
    }
  }
  if (cold) {
    const ratio = median(cold.cli[0].ms) / median(cold.cli[1].ms);
    check(ratio <= 1.3, `reference app cold \`cdk8s synth\` within 1.3x of an empty app (${fmtX(ratio)})`);
  }
  out.push('');

  const text = out.join('\n');
  process.stdout.write(`${text}\n`);
  const json = option('json');
  if (json) writeFileSync(json, JSON.stringify({ machine, results, analyzer, cold }, null, 2));
  if (flag('keep')) process.stderr.write(`kept ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
}

mkdirSync(work, { recursive: true });
try {
  main();
} catch (error) {
  rmSync(work, { recursive: true, force: true });
  throw error;
}
