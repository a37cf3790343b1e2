// The `zero-trust` command line: explain, graph, diff and readiness over folders of Istio YAML;
// synth and init for a policy repository. `run` returns the exit code instead of exiting, so that
// tests call it in-process; bin.ts connects it to the process.
import { Command, CommanderError, Option } from 'commander';
import {
  AnalyzerRequest, decide, ParseCache, reachability, renderDiff, renderExplain, renderGraph, graphDiagram, renderReadiness,
  semanticDiff, strictReadiness,
} from '../analyzer';
import { CliError, errorLine, EXIT_ERROR, EXIT_OK, EXIT_UNEXPECTED, EXIT_WIDENED } from './errors';
import { scaffold } from './init';
import { registerImport } from './import';
import { registerLearn } from './learn';
import { analysesOf, analysisOf, InputOptions, loadConfig, loadConfigAt } from './inputs';
import { packageInfo } from './package-info';
import { synthesize } from './synth';

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

interface Common extends InputOptions {
  readonly quiet?: boolean;
  readonly format: string;
}

export async function run(argv: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command('zero-trust')
    .description('Synthesize, explain, graph and diff Istio zero-trust security policies offline.')
    .version(packageInfo().version, '-V, --version', 'print the version of istio-zero-trust')
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (message, write) => write(`zero-trust: ${message.trim().replace(/^error: /, 'error: ')}\n`),
    });

  const note = (options: Common) => (message: string) => {
    if (!options.quiet) io.stderr(`note: ${message}\n`);
  };
  const inputs = (cmd: Command) => cmd
    .option('--dir <folder>', 'folder of Istio YAML', 'dist')
    .option('--inventory <file>', 'workload inventory file (YAML or JSON)')
    .option('--app <module>', 'take workloads from the construct tree: a module exporting a function (app) => app, or an App; "file:export" picks an export')
    .option('--root-namespace <ns>', 'Istio root namespace (default: istio-system, or the app\'s)')
    .option('--trust-domain <td>', 'mesh trust domain (default: cluster.local, or the app\'s)')
    .option('-q, --quiet', 'do not print notes on stderr');

  program.command('synth')
    .description('synthesize the cdk8s app into dist/; a failed synth leaves the previous dist/ as it was')
    .option('-a, --app <command>', 'the command that runs the app (default: "app" of cdk8s.yaml)')
    .option('-o, --output <folder>', 'the output folder (default: "output" of cdk8s.yaml, else dist)')
    .action(async (options: { app?: string; output?: string }) => {
      exitCode = await synthesize(options, io);
    });

  program.command('init')
    .description('scaffold a policy repository that uses istio-zero-trust: app, test, CI and pull-request workflows, README')
    .option('--dir <folder>', 'where to write it (created if missing; nothing is overwritten)', '.')
    .option('--name <name>', 'npm name of the repository (default: from the folder name)')
    .option('--package-spec <spec>', 'what package.json depends on for istio-zero-trust: a version range, a tarball or a folder', `^${packageInfo().version}`)
    .action((options: { dir: string; name?: string; packageSpec: string }) => {
      scaffold(options, io);
    });

  inputs(program.command('explain')
    .description('ALLOWED, DENIED or UNDECIDED for one request, the deciding policy and rule, and the construct that declared it')
    .requiredOption('--from <client>', 'caller: namespace/workload, namespace/* (any other workload there), plaintext (no sidecar) or principal:<td>/ns/<ns>/sa/<sa>')
    .requiredOption('--to <workload>', 'destination: namespace/workload')
    .option('--port <port>', 'destination (container) port', parsePort)
    .option('--method <method>', 'HTTP method (case-sensitive)')
    .option('--path <path>', 'HTTP path')
    .option('--host <host>', 'HTTP host (:authority)')
    .addOption(new Option('--protocol <protocol>', 'protocol on an undeclared port').choices(['HTTP', 'TCP']))
    .option('--header <name=value>', 'request header (repeatable); once given, absent headers are absent', collect, [])
    .option('--source-ip <ip>', 'client IP (ipBlocks, source.ip)')
    .option('--remote-ip <ip>', 'original client IP (remoteIpBlocks, remote.ip)')
    .option('--request-principal <iss/sub>', 'JWT principal; "" for a request without a token')
    .option('--bypass-waypoint', 'ambient: send the request straight to the pod IP, skipping the waypoint of its Service')
    .addOption(new Option('--expect <verdict>', 'exit 1 unless the verdict is this one (UNDECIDED never is): a CI step asserting one request').choices(['allowed', 'denied', 'ALLOWED', 'DENIED']))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text')))
    .action((options: Common & Record<string, any>) => {
      const analysis = analysisOf(loadConfig(options.dir, note(options)), options, note(options));
      const request: AnalyzerRequest = {
        from: options.from,
        to: options.to,
        ...(options.port !== undefined ? { port: options.port } : {}),
        ...(options.protocol ? { protocol: options.protocol } : {}),
        ...(options.method ? { method: options.method } : {}),
        ...(options.path ? { path: options.path } : {}),
        ...(options.host ? { host: options.host } : {}),
        ...(options.header.length > 0 ? { headers: Object.fromEntries(options.header.map(parseHeader)) } : {}),
        ...(options.sourceIp ? { sourceIp: options.sourceIp } : {}),
        ...(options.remoteIp ? { remoteIp: options.remoteIp } : {}),
        ...(options.requestPrincipal !== undefined ? { requestPrincipal: options.requestPrincipal } : {}),
        ...(options.bypassWaypoint ? { bypassWaypoint: true } : {}),
      };
      const decision = decide(analysis, request);
      io.stdout(options.format === 'json' ? `${JSON.stringify(decision, null, 2)}\n` : renderExplain(decision, request));
      if (options.expect !== undefined && decision.verdict !== options.expect.toUpperCase()) {
        io.stderr(`zero-trust: expected ${options.expect.toUpperCase()}, but ${request.from} -> ${request.to} is ${decision.verdict}\n`);
        exitCode = EXIT_UNEXPECTED;
      }
    });

  inputs(program.command('graph')
    .description('who can reach whom: a Mermaid flowchart and a reachability table')
    .option('--to <selector>', 'only these destinations: a namespace, or namespace/workload (repeatable)', collect, [])
    .option('--from <selector>', 'only these callers: a namespace, namespace/workload, namespace/*, plaintext or principal:<td>/ns/<ns>/sa/<sa> (repeatable)', collect, [])
    .option('--max-pairs <count>', 'refuse a graph with more caller-destination pairs than this', parseCount, DEFAULT_MAX_PAIRS)
    .addOption(new Option('--format <format>', 'text (diagram and table), markdown, mermaid (diagram only) or json').choices(['text', 'markdown', 'mermaid', 'json']).default('text')))
    .action((options: Common & { to: string[]; from: string[]; maxPairs: number }) => {
      const analysis = analysisOf(loadConfig(options.dir, note(options)), options, note(options));
      const graph = reachability(analysis, {
        ...(options.to.length > 0 ? { to: options.to } : {}),
        ...(options.from.length > 0 ? { from: options.from } : {}),
        maxPairs: options.maxPairs,
      });
      if (options.format === 'json') io.stdout(`${JSON.stringify(graph, null, 2)}\n`);
      else if (options.format === 'mermaid') {
        const diagram = graphDiagram(graph);
        io.stdout(`${diagram.text}\n`);
        if (diagram.note) note(options)(diagram.note);
      }
      else io.stdout(renderGraph(graph, options.format as 'text' | 'markdown'));
    });

  inputs(program.command('diff')
    .description('the semantic change between two folders of Istio YAML (diff OLD NEW), or between a git ref and the working tree (--base)')
    .argument('[old]', 'folder with the old configuration')
    .argument('[new]', 'folder with the new configuration')
    .option('--base <ref>', 'compare --dir at this git ref with --dir in the working tree')
    .option('--fail-on-widen', 'exit with 1 when the change admits anything the old configuration did not')
    .option('--max-chars <count>', 'markdown: the most characters the report takes (default 60,000, under GitHub\'s 65,536-character comment limit); rows beyond are left out and counted', parseMaxChars)
    .option('--full', 'markdown: no character budget (for a job summary or an artifact; the diagram still stays renderable)')
    .option('--full-report <where>', 'markdown: where the complete report is, named wherever rows are left out (e.g. "in the job summary")')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text')))
    .action((oldDir: string | undefined, newDir: string | undefined, options: Common & { base?: string; failOnWiden?: boolean; maxChars?: number; full?: boolean; fullReport?: string }) => {
      const say = note(options);
      // The two sides mostly share files: each identical file is parsed once.
      const cache: ParseCache = new Map();
      let before;
      let after;
      let title;
      if (options.base !== undefined) {
        if (newDir !== undefined) throw new CliError('with --base give at most one folder (the new one); --dir names it too');
        const dir = oldDir ?? options.dir;
        before = loadConfigAt(options.base, dir, say, cache);
        after = loadConfig(dir, say, cache);
        title = `zero-trust diff ${options.base}:${dir} -> ${dir}`;
      } else {
        if (oldDir === undefined || newDir === undefined) throw new CliError('give two folders (zero-trust diff OLD NEW) or a git ref (zero-trust diff --base main)');
        before = loadConfig(oldDir, say, cache);
        after = loadConfig(newDir, say, cache);
        title = `zero-trust diff ${oldDir} -> ${newDir}`;
      }
      const diff = semanticDiff(...analysesOf(before, after, options, say));
      if (options.full && options.maxChars !== undefined) throw new CliError('give --max-chars or --full, not both');
      const budget = { ...(options.full ? { maxChars: Infinity } : options.maxChars !== undefined ? { maxChars: options.maxChars } : {}), ...(options.fullReport ? { fullReport: options.fullReport } : {}) };
      io.stdout(options.format === 'json' ? `${JSON.stringify(diff, null, 2)}\n` : renderDiff(diff, options.format as 'text' | 'markdown', title, budget));
      if (options.failOnWiden && diff.widens) exitCode = EXIT_WIDENED;
    });

  inputs(program.command('readiness')
    .description('STRICT readiness of PERMISSIVE namespaces: the declared clients that would break, and the Prometheus queries that find the rest')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text')))
    .action((options: Common) => {
      const report = strictReadiness(analysisOf(loadConfig(options.dir, note(options)), options, note(options)));
      io.stdout(options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderReadiness(report, options.format as 'text' | 'markdown'));
    });

  registerLearn(program, { io, inputs, note });
  registerImport(program, { io, inputs, note });

  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help) through configureOutput.
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT_OK : EXIT_ERROR;
    }
    if (process.env.ZERO_TRUST_DEBUG) io.stderr(`${(error as Error).stack}\n`);
    io.stderr(`zero-trust: error: ${errorLine(error)}\n`);
    return EXIT_ERROR;
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new CliError(`--port ${value} is not a port (1-65535)`);
  return port;
}

/**
 * A million pairs print as a table of up to a million rows and take a few hundred MB; beyond that
 * a whole-mesh graph is neither readable nor cheap (2,000 namespaces open to each other are
 * tens of millions of pairs), so the user is asked to select a part of it.
 */
const DEFAULT_MAX_PAIRS = 1_000_000;

function parseCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1) throw new CliError(`--max-pairs ${value} is not a positive whole number`);
  return count;
}

function parseMaxChars(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1000) throw new CliError(`--max-chars ${value} is not a whole number of at least 1000`);
  return count;
}

function parseHeader(value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new CliError(`--header ${value}: use name=value`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
