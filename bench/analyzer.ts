// The analyzer against the raw-YAML floor (issue 4: `explain` and `diff` at the largest size within
// 2x of the time it takes to parse the YAML). In one run:
//
// 1. builds the mesh of the given size with bench/generate.ts and synthesizes it into a temporary
//    folder (OLD), and a second version (NEW) with a few edges added, removed and widened, both
//    through the public constructs (in a child process, so that cdk8s leaves nothing behind in the
//    measuring ones);
// 2. measures, round-robin, each a few times, each time in a fresh process (cold, as a CLI run is;
//    timed from after the modules are loaded), and reports the medians:
//    - parse:   the floor: read every YAML file of OLD and `parseAllDocuments` + `toJS()` it with `yaml`
//               (what bench/child.ts `parse` measures);
//    - explain: what `zero-trust explain --dir OLD` does: load the folder, infer the inventory,
//               decide a handful of requests and render them;
//    - diff:    what `zero-trust diff OLD NEW` does: load both folders, infer the inventory,
//               semanticDiff, render as text.
//
//   npx ts-node --swc bench/analyzer.ts [--size S|M|L] [--runs 5] [--seed 42] [--keep]
//
// (L is the default: 2,000 namespaces, 20,000 workloads, 60,000 edges. --keep leaves the folders.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { Workload, ZeroTrustNamespace } from '../lib';
import { AnalyzerRequest, decide, ParseCache, renderDiff, renderExplain, semanticDiff } from '../lib/analyzer';
import { analysesOf, analysisOf, InputOptions, loadConfig } from '../lib/cli/inputs';
import type { MeshModel } from '../lib/core/model';
import { generateMesh, MeshSize, sizeByName } from './generate';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const SIZE = sizeByName(option('size', 'L'));
const RUNS = Number(option('runs', '5'));
const SEED = Number(option('seed', '42'));
const KEEP = args.includes('--keep');
/** Edges added, edges removed and edges widened between OLD and NEW. */
const CHANGES = 3;

// -------------------------------------------------------------------------------------------------
// The two versions.

interface Version {
  readonly dir: string;
  readonly model: MeshModel;
}

/**
 * The generated mesh, plus, in OLD, CHANGES edges that NEW removes and CHANGES edges limited to
 * PUT that NEW widens to PUT and PATCH, and in NEW, CHANGES other new edges and a new edge from a
 * whole namespace. Sources and destinations of the workload edges are workloads of one namespace,
 * so that no namespace DENY forbids them.
 */
function build(size: MeshSize, dir: string, version: 'old' | 'new'): Version {
  const app = new App({ outdir: dir });
  const { mesh } = generateMesh(app, size, SEED);
  const namespaces = app.node.children.filter((c): c is ZeroTrustNamespace => c instanceof ZeroTrustNamespace);
  // A pair of workloads of one namespace with no edge between them yet: a second edge from the same
  // source would be refused as a dead rule when either has no limits.
  const pick = (i: number): { ns: ZeroTrustNamespace; dest: Workload; src: Workload } => {
    for (let j = i; ; j += 3 * CHANGES + 2) {
      const ns = namespaces[(j * 7919 + 13) % namespaces.length];
      const ws = ns.workloads;
      const dest = ws[j % ws.length];
      const src = ws[(j + 1) % ws.length];
      if (dest !== src && !dest.inboundEdges.some((e) => e.from === src)) return { ns, dest, src };
    }
  };
  for (let i = 0; i < CHANGES; i++) {
    const edge = pick(version === 'old' ? i : 2 * CHANGES + i);
    edge.dest.allowFrom(edge.src, { methods: ['DELETE'], paths: [version === 'old' ? '/bench/removed' : '/bench/added'] });
    const widened = pick(CHANGES + i);
    widened.dest.allowFrom(widened.src, { methods: version === 'old' ? ['PUT'] : ['PUT', 'PATCH'] });
  }
  if (version === 'new') {
    const { dest } = pick(3 * CHANGES);
    dest.allowFrom(pick(3 * CHANGES + 1).ns, { methods: ['GET'], paths: ['/bench/namespace'] });
  }
  app.synth();
  return { dir, model: mesh.toModel() };
}

/**
 * A handful of requests `zero-trust explain` could be asked, with callers named as the inferred
 * inventory names them (by service account): an allowed edge, a limited edge inside and outside
 * its limits, the plaintext scrape of a metrics port, a caller from a denied namespace, and a
 * request without a port (every port class is decided).
 */
function requests(model: MeshModel): AnalyzerRequest[] {
  type Edge = MeshModel['edges'][number];
  const caller = (e: Edge) => (e.from.kind === 'workload' ? `${e.from.namespace}/${e.from.serviceAccount}` : '');
  const to = (e: Edge) => `${e.to.namespace}/${e.to.workload}`;
  const into = new Map<string, Edge[]>();
  for (const e of model.edges) into.set(to(e), [...(into.get(to(e)) ?? []), e]);
  // Edges toward an enforced destination that only workloads reach, each from a distinct caller:
  // exactly their limits apply.
  const dryRun = new Set(model.namespaces.filter((ns) => ns.dryRun).map((ns) => ns.name));
  const alone = (e: Edge) => e.from.kind === 'workload' && !dryRun.has(e.to.namespace)
    && into.get(to(e))!.every((x) => x.from.kind === 'workload' && (x === e || caller(x) !== caller(e)));
  const plain = model.edges.find((e) => alone(e) && !e.methods && !e.paths && !e.ports)!;
  const limited = model.edges.find((e) => alone(e) && e.methods && e.paths && !e.ports)!;
  // A metrics port: a plaintext port, or a plaintext exception (what the generator declares).
  const plaintextPort = (w: MeshModel['namespaces'][number]['workloads'][number]) => w.plaintextPorts[0] ?? w.plaintextExceptions?.[0]?.port;
  const scraped = model.namespaces.flatMap((ns) => ns.workloads.filter((w) => plaintextPort(w) !== undefined))[0];
  const denying = model.namespaces.find((ns) => !ns.dryRun && ns.workloads.length > 0 && ns.denyFromNamespaces.some((d) => model.namespaces.some((n) => n.name === d)))!;
  return [
    { from: caller(plain), to: to(plain), port: 8080, method: 'GET', path: '/' },
    { from: caller(limited), to: to(limited), method: limited.methods![0], path: limited.paths![0].replace(/\*$/, 'x') },
    { from: caller(limited), to: to(limited), method: 'DELETE', path: limited.paths![0].replace(/\*$/, 'x') },
    { from: 'plaintext', to: `${scraped.namespace}/${scraped.name}`, port: plaintextPort(scraped)!, method: 'GET', path: '/metrics' },
    { from: `${denying.denyFromNamespaces.find((d) => model.namespaces.some((n) => n.name === d))}/*`, to: `${denying.name}/${denying.workloads[0].name}`, port: 8080 },
    { from: '*/*', to: to(plain) },
  ];
}

// -------------------------------------------------------------------------------------------------
// The measurements.

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.(ya?ml|json)$/i.test(f)).sort().map((f) => join(dir, f));
}

/** The floor: read and parse every file, as bench/child.ts `parse` does. */
function parseFloor(dir: string): number {
  let documents = 0;
  for (const file of yamlFiles(dir)) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      doc.toJS();
      documents++;
    }
  }
  return documents;
}

const OPTIONS: InputOptions = { dir: 'dist' };
const quiet = () => undefined;

/** zero-trust explain --dir DIR, for each request. */
function explain(dir: string, reqs: readonly AnalyzerRequest[]): string[] {
  const analysis = analysisOf(loadConfig(dir, quiet), OPTIONS, quiet);
  return reqs.map((request) => renderExplain(decide(analysis, request), request).split('\n')[0]);
}

/** zero-trust diff OLD NEW. */
function diff(oldDir: string, newDir: string): string {
  const cache: ParseCache = new Map();
  const before = loadConfig(oldDir, quiet, cache);
  const after = loadConfig(newDir, quiet, cache);
  const title = `zero-trust diff ${oldDir} -> ${newDir}`;
  const text = renderDiff(semanticDiff(...analysesOf(before, after, OPTIONS, quiet)), 'text', title);
  return `${text.slice(title.length + 2, text.indexOf('\n'))} (${text.split('\n').length} lines)`;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const sizeOf = (dir: string) => yamlFiles(dir).reduce((n, f) => n + statSync(f).size, 0);

/**
 * Child process: builds both versions into `root` and writes the requests to explain. Kept out of
 * the measuring process, so that cdk8s and synthesis leave nothing behind in it (heap, JIT
 * feedback on the shared `yaml` classes) that would slow the floor or the analyzer.
 */
function buildBoth(root: string): void {
  const t0 = performance.now();
  const old = build(SIZE, join(root, 'old'), 'old');
  build(SIZE, join(root, 'new'), 'new');
  writeFileSync(join(root, 'requests.json'), JSON.stringify({ requests: requests(old.model), ms: performance.now() - t0 }));
}

type Kind = 'parse' | 'explain' | 'diff';

/** Child process: one measurement, timed from after the modules are loaded; one JSON line on stdout. */
function measure(kind: Kind, root: string): void {
  const oldDir = join(root, 'old');
  const newDir = join(root, 'new');
  const reqs = (JSON.parse(readFileSync(join(root, 'requests.json'), 'utf8')) as { requests: AnalyzerRequest[] }).requests;
  const t0 = performance.now();
  const result = kind === 'parse' ? `${parseFloor(oldDir)} documents` : kind === 'explain' ? explain(oldDir, reqs).join('\n') : diff(oldDir, newDir);
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ kind, ms, maxRssMb: process.resourceUsage().maxRSS / 1024, result })}\n`);
}

/** Runs this file again in a child process with more arguments. */
function self(extra: string[], capture: boolean): string {
  const child = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin'), '--swc', __filename, ...args, ...extra], {
    stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`${extra.join(' ')} failed (exit ${child.status})`);
  return child.stdout ?? '';
}

function main(): void {
  const root = mkdtempSync(join(tmpdir(), 'zero-trust-analyzer-bench-'));
  try {
    console.log(`analyzer benchmark: size ${SIZE.name} (${SIZE.namespaces} namespaces, ${SIZE.workloads} workloads, ${SIZE.edges} edges), seed ${SEED}, ${RUNS} runs`);
    console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GB`);
    self(['--build', root], false);
    const built = JSON.parse(readFileSync(join(root, 'requests.json'), 'utf8')) as { requests: AnalyzerRequest[]; ms: number };
    const oldDir = join(root, 'old');
    console.log(`generated and synthesized both versions in ${seconds(built.ms)}: ${yamlFiles(oldDir).length} files, ` +
      `${(sizeOf(oldDir) / 1e6).toFixed(1)} MB of YAML each${KEEP ? ` (kept in ${root})` : ''}`);
    console.log('each measurement runs in a fresh process (cold, like a CLI run), timed after the modules are loaded');

    const t0 = performance.now();
    const kinds: Kind[] = ['parse', 'explain', 'diff'];
    const runs = new Map<Kind, { ms: number; maxRssMb: number; result: string }[]>(kinds.map((k) => [k, []]));
    for (let run = 0; run < RUNS; run++) {
      const line: string[] = [];
      for (const kind of kinds) {
        const out = JSON.parse(self(['--measure', kind, root], true).trim().split('\n').pop()!) as { ms: number; maxRssMb: number; result: string };
        runs.get(kind)!.push(out);
        line.push(`${kind} ${seconds(out.ms)} (${out.maxRssMb.toFixed(0)} MB)`);
      }
      console.log(`  run ${run + 1}: ${line.join(', ')}`);
    }
    const med = (kind: Kind) => median(runs.get(kind)!.map((r) => r.ms));
    const rss = (kind: Kind) => Math.max(...runs.get(kind)!.map((r) => r.maxRssMb)).toFixed(0);
    const parse = med('parse');
    console.log('');
    console.log(`parse (floor, ${runs.get('parse')![0].result})  ${seconds(parse)}   peak ${rss('parse')} MB`);
    console.log(`explain (${built.requests.length} requests)           ${seconds(med('explain'))}   peak ${rss('explain')} MB   explain/parse ${(med('explain') / parse).toFixed(2)}x   (target <= 2x)`);
    console.log(`diff (two folders)            ${seconds(med('diff'))}   peak ${rss('diff')} MB   diff/parse    ${(med('diff') / parse).toFixed(2)}x   (target <= 2x)`);
    console.log(`(medians of ${RUNS} runs; the measurements took ${seconds(performance.now() - t0)})`);
    console.log('');
    console.log('explain:');
    for (const v of runs.get('explain')![0].result.split('\n')) console.log(`  ${v}`);
    console.log(`diff: ${runs.get('diff')![0].result}`);
  } finally {
    if (!KEEP) rmSync(root, { recursive: true, force: true });
  }
}

const modeAt = (flag: string) => args.indexOf(flag);
if (modeAt('--build') >= 0) buildBoth(args[modeAt('--build') + 1]);
else if (modeAt('--measure') >= 0) measure(args[modeAt('--measure') + 1] as Kind, args[modeAt('--measure') + 2]);
else main();
