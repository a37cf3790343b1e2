// One measurement, in its own process so that peak RSS belongs to it alone. Started by
// bench/run.ts; prints one line `BENCH_RESULT {json}` on stdout.
//
//   prepare  --size S --docs FILE          build the mesh with the public API, compile it, write the
//                                          documents (file name -> documents) as JSON for floor/stock
//   library  --size S --out DIR            build the mesh with the public API, then App.synth()
//   phases   --size S --out DIR            the same, validated and compiled before App.synth(); prints
//                                          BENCH_MARKS, the time at each phase's end (bench/gc-phases.ts)
//   floor    --docs FILE --out DIR [--marks] the same documents written with `yaml` directly
//   stock    --docs FILE --out DIR         the same documents as plain ApiObjects, a Chart per file
//   parse    --out DIR [--twice]           parse every YAML file of DIR (the analyzer's baseline)
//   explain  --out DIR                     `zero-trust explain` of one request on DIR, in-process
//   diff     --out DIR --work TMP [--change mesh-mtls] [--base]
//                                          `zero-trust diff DIR DIR'`, DIR' = DIR minus one policy,
//                                          or with the mesh-wide PeerAuthentication made PERMISSIVE;
//                                          --base: `zero-trust diff --base HEAD` in a git repository
//                                          where DIR is committed and DIR' is the working tree
//   graph    --out DIR                     `zero-trust graph --to <first namespace>` on DIR, in-process
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiObject, App, Chart } from 'cdk8s';
import * as YAML from 'yaml';
import { compileMesh } from '../lib';
import { buildMesh, generateMesh, MeshPlan, planMesh, sizeByName } from './generate';

const args = process.argv.slice(2);
const mode = args[0];
const opt = (name: string): string => {
  const i = args.indexOf(`--${name}`);
  if (i < 0 || args[i + 1] === undefined) throw new Error(`missing --${name}`);
  return args[i + 1];
};

type DocFiles = [file: string, docs: Record<string, unknown>[]][];

/**
 * A full garbage collection before a clock starts (bench/run.ts starts children with --expose-gc):
 * the library and the floor both begin with a collected heap that holds only their input (the
 * planned mesh, the documents read from JSON). Without it, the garbage of reading the floor's input
 * (a JSON text of tens of MB) was sometimes still there, and the same floor ran in 4.4 s or in 6 s.
 */
const collectGarbage = () => (globalThis as { gc?: () => void }).gc?.();

/** CPU time (user + system, every thread: GC helpers included) since `start`, in ms. */
const cpuSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

function report(result: Record<string, unknown>): void {
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ mode, maxRssMb, ...result })}\n`);
}

// The options cdk8s's Yaml.stringify uses (node_modules/cdk8s/lib/yaml.js): YAML 1.1 for
// PyYAML-compatible output, no line folding, undefined kept as null.
const YAML_OPTIONS = { keepUndefined: true, lineWidth: 0, version: '1.1' } as const;

async function main(): Promise<void> {
  switch (mode) {
    case 'prepare': {
      const app = new App({ outdir: '/nonexistent' });
      const generated = generateMesh(app, sizeByName(opt('size')));
      // The library's own compiled output: one file per chart, as ZeroTrustMesh and
      // ZeroTrustNamespace render them (mesh-wide objects in mesh.k8s.yaml).
      const compiled = compileMesh(generated.mesh.toModel());
      const files: DocFiles = [['mesh', compiled.mesh as any], ...[...compiled.namespaces].map(([ns, docs]) => [ns, docs as unknown as Record<string, unknown>[]] as DocFiles[number])];
      writeFileSync(opt('docs'), JSON.stringify(files));
      report({
        namespaces: generated.namespaces, workloads: generated.workloads, edges: generated.edges,
        externalServices: generated.externalServices, files: files.length, objects: files.reduce((n, [, d]) => n + d.length, 0),
      });
      return;
    }
    case 'library': {
      // What `cdk8s synth` runs: the app built through the public API, then App.synth(). The
      // measured time ("ms") is both; processMs adds node's start and the loading of the modules.
      // The generator's random choices are made before the clock (planMesh), as the floor's
      // documents are read before its clock: the app's part is its calls to the public API.
      const tPlan0 = performance.now();
      let plan: MeshPlan | undefined = planMesh(sizeByName(opt('size')));
      collectGarbage();
      const planMs = performance.now() - tPlan0;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const app = new App({ outdir: opt('out') });
      buildMesh(app, plan);
      plan = undefined; // the app does not keep its input: nothing of the plan stays alive while it synthesizes
      const t1 = performance.now();
      app.synth();
      const t2 = performance.now();
      // processMs: the process up to here, without planning the mesh (the floor's is without reading its documents).
      report({ ms: t2 - t0, buildMs: t1 - t0, synthMs: t2 - t1, cpuMs: cpuSince(c0), processMs: t2 - planMs });
      return;
    }
    case 'phases': {
      // The library's run cut into phases for bench/gc-phases.ts, which reads the collector's trace
      // (--trace-gc-nvp) between the marks: build, validation + compilation (run here, before
      // App.synth(), which then finds it done), and the rest of App.synth().
      let plan: MeshPlan | undefined = planMesh(sizeByName(opt('size')));
      collectGarbage();
      const marks: [string, number][] = [['start', performance.now()]];
      const app = new App({ outdir: opt('out') });
      const { mesh } = buildMesh(app, plan);
      plan = undefined;
      marks.push(['build', performance.now()]);
      mesh._compile();
      marks.push(['validation + compilation', performance.now()]);
      app.synth();
      marks.push(['rest of App.synth()', performance.now()]);
      process.stdout.write(`BENCH_MARKS ${JSON.stringify(marks)}\n`);
      report({ ms: marks[3][1] - marks[0][1] });
      return;
    }
    case 'floor': {
      const tLoad = performance.now();
      const files = JSON.parse(readFileSync(opt('docs'), 'utf8')) as DocFiles;
      collectGarbage();
      const loadMs = performance.now() - tLoad;
      const out = opt('out');
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      mkdirSync(out, { recursive: true });
      for (const [file, docs] of files) {
        const data = docs.map((d) => YAML.stringify(d, YAML_OPTIONS)).join('---\n');
        writeFileSync(join(out, `${file}.k8s.yaml`), data, { encoding: 'utf8' });
      }
      const t1 = performance.now();
      if (args.includes('--marks')) process.stdout.write(`BENCH_MARKS ${JSON.stringify([['start', t0], ['writing the YAML', t1]])}\n`);
      // processMs: the process up to here, without reading the documents (the library builds them).
      report({ ms: t1 - t0, synthMs: t1 - t0, cpuMs: cpuSince(c0), processMs: t1 - loadMs });
      return;
    }
    case 'stock': {
      const files = JSON.parse(readFileSync(opt('docs'), 'utf8')) as DocFiles;
      collectGarbage();
      const t0 = performance.now();
      const app = new App({ outdir: opt('out') });
      for (const [file, docs] of files) {
        const chart = new Chart(app, file);
        for (const doc of docs as any[]) new ApiObject(chart, `${doc.kind}-${doc.metadata.name}`, doc);
      }
      const t1 = performance.now();
      const c1 = process.cpuUsage();
      app.synth();
      const t2 = performance.now();
      report({ ms: t2 - t0, buildMs: t1 - t0, synthMs: t2 - t1, cpuMs: cpuSince(c1) });
      return;
    }
    case 'parse': {
      // The analyzer's baseline: read every YAML file and parse it into objects, as the analyzer's
      // loader does (yaml.parseAllDocuments, then toJS). --twice parses the folder twice, the
      // baseline of a diff, which reads two folders.
      const dir = opt('out');
      const times = args.includes('--twice') ? 2 : 1;
      const t0 = performance.now();
      let documents = 0;
      for (let i = 0; i < times; i++) {
        for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
          documents += YAML.parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS()).length;
        }
      }
      const t1 = performance.now();
      report({ ms: t1 - t0, synthMs: t1 - t0, documents });
      return;
    }
    case 'explain':
    case 'diff':
    case 'graph': {
      // The analyzer's command line, in-process (lib/cli/main.ts `run(argv, io)`), output discarded.
      // Loaded with require so that this file still compiles while the CLI's API moves.
      let cli: { run(argv: readonly string[], io: { stdout(t: string): void; stderr(t: string): void }): Promise<number> };
      try {
        cli = require('../lib/cli/main');
        if (typeof cli.run !== 'function') throw new Error('lib/cli/main.ts has no run(argv, io)');
      } catch (error) {
        report({ skipped: `the analyzer CLI is not available: ${(error as Error).message.split('\n')[0]}` });
        return;
      }
      const dir = opt('out');
      let argvCli: string[];
      let request: string | undefined;
      if (mode === 'explain') {
        // A request an edge admits: the first principal of the first ALLOW policy of the first
        // namespace file, toward that policy's workload.
        const file = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'mesh.k8s.yaml').sort()[0];
        const policy = YAML.parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS())
          .find((d) => d.kind === 'AuthorizationPolicy' && d.spec?.rules?.some((r: any) => r.from?.[0]?.source?.principals));
        const principal = policy.spec.rules.find((r: any) => r.from?.[0]?.source?.principals).from[0].source.principals[0];
        const to = `${policy.metadata.namespace}/${policy.spec.selector.matchLabels.app}`;
        argvCli = ['explain', '--dir', dir, '--from', `principal:${principal}`, '--to', to, '--method', 'GET', '--path', '/api/v1/items/1', '--quiet'];
        request = `--from principal:${principal} --to ${to} --method GET --path /api/v1/items/1`;
      } else if (mode === 'graph') {
        // The graph of one team's namespace (the first namespace file): the view a team asks for
        // in a large mesh, where the whole graph is refused (--max-pairs).
        const namespace = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'mesh.k8s.yaml').sort()[0].replace(/\.k8s\.yaml$/, '');
        argvCli = ['graph', '--dir', dir, '--to', namespace, '--quiet'];
        request = `--to ${namespace}`;
      } else {
        // The new folder: the same output with one ALLOW policy removed (a pull request that drops
        // the edges toward one workload), or with --change mesh-mtls, the mesh-wide
        // PeerAuthentication (root namespace) changed from STRICT to PERMISSIVE: a change of the
        // mesh default that every namespace of the generated mesh overrides.
        // With --base, DIR is committed to a fresh git repository (before the clock) and the
        // change is made in its working tree: `zero-trust diff --base HEAD`, what a pull request's
        // CI runs, reading the old side with git.
        const base = args.includes('--base');
        const repo = join(opt('work'), 'diff-repo');
        const changed = base ? join(repo, 'dist') : join(opt('work'), 'diff-new');
        rmSync(base ? repo : changed, { recursive: true, force: true });
        cpSync(dir, changed, { recursive: true });
        if (base) {
          for (const gitArgs of [['init', '-q'], ['add', '.'], ['commit', '-q', '-m', 'base']]) {
            const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', '-c', 'commit.gpgsign=false', ...gitArgs], { cwd: repo, encoding: 'utf8' });
            if (r.status !== 0) throw new Error(`git ${gitArgs[0]} failed: ${r.stderr}`);
          }
        }
        if (args.includes('--change') && opt('change') === 'mesh-mtls') {
          const file = join(changed, 'mesh.k8s.yaml');
          const docs = readFileSync(file, 'utf8').split('---\n');
          const meshPa = docs.findIndex((d) => d.includes('kind: PeerAuthentication') && d.includes('mode: STRICT') && !d.includes('selector:'));
          if (meshPa < 0) throw new Error('mesh.k8s.yaml has no mesh-wide STRICT PeerAuthentication');
          docs[meshPa] = docs[meshPa].replace('mode: STRICT', 'mode: PERMISSIVE');
          writeFileSync(file, docs.join('---\n'));
        } else {
          const file = readdirSync(changed).filter((f) => f.endsWith('.yaml') && f !== 'mesh.k8s.yaml').sort()[0];
          const docs = readFileSync(join(changed, file), 'utf8').split('---\n');
          const drop = docs.findIndex((d) => d.includes('kind: AuthorizationPolicy') && /name: \S+-allow\n/.test(d));
          writeFileSync(join(changed, file), docs.filter((_, i) => i !== drop).join('---\n'));
        }
        argvCli = base ? ['diff', '--base', 'HEAD', '--dir', changed, '--quiet'] : ['diff', dir, changed, '--quiet'];
        if (base) process.chdir(repo); // git runs where the command runs
      }
      let output = '';
      const io = { stdout: (t: string) => { output += t; }, stderr: (t: string) => { output += t; } };
      const t0 = performance.now();
      const code = await cli.run(['node', 'zero-trust', ...argvCli], io);
      const t1 = performance.now();
      if (code !== 0) {
        report({ skipped: `zero-trust ${argvCli[0]} exited with ${code}: ${output.trim().split('\n').slice(-3).join(' / ')}` });
        return;
      }
      report({ ms: t1 - t0, synthMs: t1 - t0, request, summary: output.split('\n')[0], outputLines: output.split('\n').length });
      return;
    }
    default:
      throw new Error(`unknown mode ${JSON.stringify(mode)}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
