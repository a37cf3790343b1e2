// `npm run bench`: synth at three mesh sizes against the raw-YAML floor and stock cdk8s, cold start
// of the reference app against an empty cdk8s app, and the analyzer against parsing the YAML.
// Every measurement runs in a fresh child process (bench/child.ts), so that peak RSS is its own.
//
//   npm run bench -- [--sizes S,M,L] [--runs 5] [--stock S,M,L|none] [--stock-runs 1]
//                    [--cold-runs 9] [--no-cold] [--no-analyzer] [--analyzer-timeout 120]
//                    [--work DIR] [--json FILE] [--keep]
//
// Timings are wall-clock on whatever else the machine is doing: run it on a quiet machine, and read
// the medians. Nothing here is asserted by a unit test.
import { spawnSync } from 'node:child_process';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MeshSize, SIZES, sizeByName } from './generate';

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
const sizes = (option('sizes') ?? SIZES.map((s) => s.name).join(',')).split(',').map(sizeByName);
const runs = Number(option('runs') ?? 5);
const stockSizes = new Set((option('stock') ?? SIZES.map((s) => s.name).join(',')).split(',').filter((s) => s !== 'none'));
const stockRuns = Number(option('stock-runs') ?? 1);
const coldRuns = Number(option('cold-runs') ?? 9);
const analyzerTimeoutMs = Number(option('analyzer-timeout') ?? 120) * 1000;
// Output goes to a RAM-backed folder when there is one, so that the disk (and whatever else writes
// to it) does not blur the comparison; every measurement writes to the same place.
const workBase = option('work') ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const work = mkdtempSync(join(workBase, 'zt-bench-'));

// ---------------------------------------------------------------------------------------------
// Helpers

interface Result {
  readonly mode: string;
  readonly maxRssMb: number;
  readonly synthMs?: number;
  readonly buildMs?: number;
  readonly skipped?: string;
  readonly [key: string]: unknown;
}

/** Runs bench/child.ts in a fresh node process and returns the BENCH_RESULT it prints. */
function child(args: string[], timeoutMs?: number): Result {
  const result = spawnSync(process.execPath, [TS_NODE, '--swc', CHILD, ...args], {
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

interface Summary { readonly ms: number; readonly cpuMs: number; readonly buildMs?: number; readonly rssMb: number; readonly runs: number[] }

function repeat(times: number, args: () => string[], label: string): Summary {
  return alternate(times, [[label, args]])[0];
}

/** Runs each measurement `times` times, one of each in turn, and summarizes each. */
function alternate(times: number, measurements: [label: string, args: () => string[]][]): Summary[] {
  const all: Result[][] = measurements.map(() => []);
  for (let i = 0; i < times; i++) {
    measurements.forEach(([label, args], m) => {
      process.stderr.write(`  ${label} run ${i + 1}/${times}...`);
      const r = child(args());
      process.stderr.write(` ${fmtMs(r.synthMs!)} (CPU ${fmtMs(r.cpuMs as number)}), ${Math.round(r.maxRssMb)} MB\n`);
      all[m].push(r);
    });
  }
  return all.map(summarize);
}

function summarize(results: Result[]): Summary {
  const buildTimes = results.map((r) => r.buildMs).filter((v): v is number => v !== undefined);
  return {
    ms: median(results.map((r) => r.synthMs!)),
    cpuMs: median(results.map((r) => r.cpuMs as number)),
    ...(buildTimes.length > 0 ? { buildMs: median(buildTimes) } : {}),
    rssMb: Math.max(...results.map((r) => r.maxRssMb)),
    runs: results.map((r) => r.synthMs!),
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
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
const fmtX = (x: number) => `${x.toFixed(2)}x`;
const fmtN = (n: number) => n.toLocaleString('en-US');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Synth at each size

interface SizeResult {
  readonly size: MeshSize;
  readonly counts: Result;
  readonly library: Summary;
  readonly floor: Summary;
  readonly stock?: Summary;
  readonly libraryDir: string;
}

function measureSize(size: MeshSize): SizeResult {
  process.stderr.write(`size ${size.name}: ${fmtN(size.namespaces)} namespaces, ${fmtN(size.workloads)} workloads, ${fmtN(size.edges)} edges\n`);
  const docs = join(work, `${size.name}.json`);
  // The documents for the floor and stock cdk8s: the library's own compiled output, written to a
  // file before anything is timed.
  const counts = child(['prepare', '--size', size.name, '--docs', docs]);
  const libraryDir = join(work, `library-${size.name}`);
  const floorDir = join(work, `floor-${size.name}`);
  // Alternate library and floor runs, so that whatever else the machine does hits both alike.
  const [library, floor] = alternate(runs, [
    ['library', () => ['library', '--size', size.name, '--out', libraryDir]],
    ['floor  ', () => ['floor', '--docs', docs, '--out', floorDir]],
  ]);
  const mismatch = sameOutput(libraryDir, floorDir);
  if (mismatch) throw new Error(`size ${size.name}: the library's output and the floor's differ (${mismatch}); the floor must write the very same bytes`);
  let stock: Summary | undefined;
  if (stockSizes.has(size.name)) {
    stock = repeat(stockRuns, () => ['stock', '--docs', docs, '--out', join(work, `stock-${size.name}`)], 'stock  ');
    const files = readdirSync(join(work, `stock-${size.name}`)).length;
    if (files !== counts.files) throw new Error(`size ${size.name}: stock cdk8s wrote ${files} files, expected ${counts.files}`);
    rmSync(join(work, `stock-${size.name}`), { recursive: true, force: true });
  }
  rmSync(floorDir, { recursive: true, force: true });
  rmSync(docs, { force: true });
  return { size, counts, library, floor, stock, libraryDir };
}

// ---------------------------------------------------------------------------------------------
// Cold start: `cdk8s synth` of the reference app and of an empty app, same runner

interface AnalyzerResult {
  readonly size: MeshSize;
  readonly parse: Result;
  readonly parse2: Result;
  readonly explain: Result;
  readonly diff: Result;
  readonly graph: Result;
}

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
  const loadAtStart = loadavg()[0];
  process.stderr.write(`${machine}\nwork folder: ${work}\n`);

  const results = sizes.map(measureSize);
  const out: string[] = [];
  out.push(`# zero-trust bench\n\n${machine}\nruns: ${runs} (library, floor; median time, highest peak RSS), ${stockRuns} (stock cdk8s); ` +
    `1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} after the synth measurements\n`);

  out.push('## Synth\n');
  out.push(table(
    ['size', 'ns / workloads / edges', 'objects', 'library synth', 'floor', 'stock cdk8s', 'library / floor', 'stock / floor', 'library / floor, CPU', 'peak RSS library / floor / stock', 'library build'],
    results.map((r) => [
      r.size.name,
      `${fmtN(r.size.namespaces)} / ${fmtN(r.size.workloads)} / ${fmtN(r.size.edges)}`,
      fmtN(r.counts.objects as number),
      fmtMs(r.library.ms),
      fmtMs(r.floor.ms),
      r.stock ? fmtMs(r.stock.ms) : 'skipped',
      fmtX(r.library.ms / r.floor.ms),
      r.stock ? fmtX(r.stock.ms / r.floor.ms) : '-',
      fmtX(r.library.cpuMs / r.floor.cpuMs),
      `${Math.round(r.library.rssMb)} / ${Math.round(r.floor.rssMb)} / ${r.stock ? Math.round(r.stock.rssMb) : '-'} MB`,
      fmtMs(r.library.buildMs!),
    ]),
  ));
  out.push('\nlibrary synth: `App.synth()` of the mesh built through the public API (validation, compilation, cdk8s, YAML, files); ' +
    'library build: constructing that mesh, not included in synth. floor: the same documents, taken from the compiled output ' +
    'before timing, written with `yaml` (cdk8s\'s options), one file per namespace; its output is checked to be byte-identical to the library\'s. ' +
    'stock cdk8s: the same documents as plain ApiObjects, one Chart per namespace, `App.synth()`. Times are wall-clock medians; ' +
    '"CPU" compares the medians of CPU time (user + system, GC threads included), which other load on the machine disturbs less. ' +
    'Peak RSS includes node and ts-node (about 150 MB).\n');

  if (results.length > 1) {
    out.push('## Growth\n');
    const rows: string[][] = [];
    for (let i = 1; i < results.length; i++) {
      const [a, b] = [results[i - 1], results[i]];
      const factor = b.size.edges / a.size.edges;
      const g = (x: Summary | undefined, y: Summary | undefined) => (x && y ? `${fmtX(y.ms / x.ms)} (${(y.ms / x.ms / factor).toFixed(2)} per unit)` : '-');
      rows.push([`${a.size.name} -> ${b.size.name}`, fmtX(factor), g(a.library, b.library), g(a.floor, b.floor), g(a.stock, b.stock)]);
    }
    out.push(table(['step', 'size factor', 'library', 'floor', 'stock cdk8s'], rows));
    out.push('\nTime at the larger size / time at the smaller one; "per unit" divides by the size factor (1.00 is linear).\n');
  }

  // The analyzer (issue 3) on each size's output, up to the largest: explain and diff against
  // parsing the same YAML. A measurement that exceeds --analyzer-timeout is not retried at the next
  // size.
  const analyzer: AnalyzerResult[] = [];
  if (!flag('no-analyzer')) {
    let gaveUp: Record<string, string> = {};
    for (const r of results) {
      process.stderr.write(`analyzer at size ${r.size.name}\n`);
      const parse = child(['parse', '--out', r.libraryDir]);
      const parse2 = child(['parse', '--out', r.libraryDir, '--twice']);
      const timed = (name: 'explain' | 'diff' | 'graph', args: string[]): Result => {
        if (gaveUp[name]) return { mode: name, maxRssMb: NaN, skipped: gaveUp[name] };
        let result: Result;
        try {
          result = child(args, analyzerTimeoutMs);
        } catch (error) {
          // The analyzer is another piece of work: report its failure, do not lose the other results.
          return { mode: name, maxRssMb: NaN, skipped: `failed: ${(error as Error).message.split('\n').slice(0, 3).join(' ').slice(0, 300)}` };
        }
        if (result.skipped?.startsWith('did not finish')) gaveUp = { ...gaveUp, [name]: `not run: ${result.skipped} at size ${r.size.name}` };
        return result;
      };
      const explain = timed('explain', ['explain', '--out', r.libraryDir]);
      const diff = timed('diff', ['diff', '--out', r.libraryDir, '--work', work]);
      const graph = timed('graph', ['graph', '--out', r.libraryDir]);
      analyzer.push({ size: r.size, parse, parse2, explain, diff, graph });
    }
    out.push('## Analyzer\n');
    const cell = (r: Result, base: Result) => (r.skipped ? r.skipped : `${fmtMs(r.synthMs!)} (${fmtX(r.synthMs! / base.synthMs!)}, ${Math.round(r.maxRssMb)} MB)`);
    out.push(table(['size', 'parse one folder', 'zero-trust explain (vs parse)', 'parse two folders', 'zero-trust diff (vs parse of both)', 'zero-trust graph --to (vs parse)'],
      analyzer.map((a) => [a.size.name, fmtMs(a.parse.synthMs!), cell(a.explain, a.parse), fmtMs(a.parse2.synthMs!), cell(a.diff, a.parse2), cell(a.graph, a.parse)])));
    const request = analyzer[analyzer.length - 1]?.explain.request;
    out.push('\nparse: read every file, `yaml.parseAllDocuments`, `toJS` (what the analyzer\'s loader does). explain: `zero-trust explain` of one ' +
      'request an edge admits (the first principal of the first ALLOW policy) in-process (lib/cli/main.ts `run`), loading and parsing included' +
      `${request ? `; at size ${analyzer[analyzer.length - 1].size.name}: \`${request}\`` : ''}. diff: \`zero-trust diff OLD NEW\`, NEW = OLD minus one ALLOW policy. ` +
      'graph: `zero-trust graph --to <namespace>` of the first namespace (not a target: the whole graph of a large mesh is refused by --max-pairs). ' +
      `Timeout ${analyzerTimeoutMs / 1000} s per measurement.\n`);
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

  // Targets from issue 4.
  out.push('## Targets\n');
  const check = (ok: boolean | undefined, text: string) => out.push(`- ${ok === undefined ? 'n/a ' : ok ? 'PASS' : 'FAIL'} ${text}`);
  const L = results.find((r) => r.size.name === 'L');
  check(L && L.library.ms / L.floor.ms <= 1.5, `largest size: library synth within 1.5x of the floor${L ? ` (${fmtX(L.library.ms / L.floor.ms)} wall, ${fmtX(L.library.cpuMs / L.floor.cpuMs)} CPU)` : ''}`);
  check(L && L.library.rssMb < 1536, `largest size: peak memory under 1.5 GB${L ? ` (${Math.round(L.library.rssMb)} MB)` : ''}`);
  for (let i = 1; i < results.length; i++) {
    const [a, b] = [results[i - 1], results[i]];
    const factor = b.size.edges / a.size.edges;
    const limit = 4.5 / 4 * factor; // 4.5x at 4x the size, scaled for other steps
    check(b.library.ms / a.library.ms <= limit, `growth ${a.size.name} -> ${b.size.name} (${fmtX(factor)} size): within ${fmtX(limit)} time (${fmtX(b.library.ms / a.library.ms)})`);
  }
  if (cold) {
    const ratio = median(cold.cli[0].ms) / median(cold.cli[1].ms);
    check(ratio <= 1.3, `reference app cold \`cdk8s synth\` within 1.3x of an empty app (${fmtX(ratio)})`);
  }
  const last = analyzer[analyzer.length - 1];
  if (last) {
    for (const [name, r, base] of [['explain', last.explain, last.parse], ['diff', last.diff, last.parse2]] as const) {
      const ok = r.skipped ? (r.skipped.includes('not available') ? undefined : false) : r.synthMs! / base.synthMs! <= 2;
      check(ok, `analyzer ${name} at size ${last.size.name} within 2x of parsing the YAML (${r.skipped ?? fmtX(r.synthMs! / base.synthMs!)})`);
    }
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
