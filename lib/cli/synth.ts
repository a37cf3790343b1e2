// `zero-trust synth`: runs the cdk8s app into a staging folder and swaps it into the output folder
// only when synthesis succeeded, so a failed synth leaves the previous dist/ as it was. (`cdk8s
// synth` deletes its output folder before it runs the app.) The app is the `app` command of
// cdk8s.yaml, as `cdk8s synth` runs it: cdk8s apps write where CDK8S_OUTDIR says.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { CliError } from './errors';
import type { Io } from './main';

export interface SynthOptions {
  /** The command that runs the app; default: `app` of cdk8s.yaml. */
  readonly app?: string;
  /** The output folder; default: `output` of cdk8s.yaml, else dist. */
  readonly output?: string;
}

/**
 * Loaded into every Node process the app command starts (NODE_OPTIONS --require). An error the
 * library raised on purpose (a refused input, a failed validation) already says everything a
 * user needs: print its message once and exit 1, without the stack trace. Any other error keeps
 * Node's usual report, because there the stack is what tells the user where their code broke.
 */
const ERROR_HOOK = `'use strict';
process.on('uncaughtException', (error) => {
  const message = error && typeof error.message === 'string' ? error.message : '';
  const ours = (error && typeof error.name === 'string' && error.name.startsWith('ZeroTrust'))
    || message.startsWith('Validation failed with the following errors')
    || /^\\[[^\\]\\s]+\\] /.test(message);
  process.stderr.write((ours ? message : (error && error.stack) || String(error)) + '\\n');
  process.exit(1);
});
`;

export async function synthesize(options: SynthOptions, io: Io, cwd = process.cwd()): Promise<number> {
  const config = readCdk8sConfig(cwd);
  const app = options.app ?? config.app;
  if (!app) throw new CliError('no app to synthesize: give --app "<command>" or write cdk8s.yaml with an "app" command (zero-trust init writes one)');
  const output = options.output ?? config.output ?? 'dist';
  const outdir = resolve(cwd, output);
  // Staging and previous folders sit next to the output: renames on one file system are atomic.
  const staging = join(dirname(outdir), `.${basename(outdir)}-staging-${process.pid}`);
  const previous = join(dirname(outdir), `.${basename(outdir)}-previous-${process.pid}`);
  const hookDir = mkdtempSync(join(tmpdir(), 'zero-trust-synth-'));
  const hook = join(hookDir, 'error-hook.cjs');
  writeFileSync(hook, ERROR_HOOK);
  try {
    rmSync(staging, { recursive: true, force: true });
    const code = await runApp(app, cwd, {
      ...process.env,
      CDK8S_OUTDIR: staging,
      CDK8S_CHECK_UPGRADE: 'false',
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(hook)}`.trim(),
    }, io);
    const written = existsSync(staging) ? listFiles(staging) : [];
    if (code !== 0 || written.length === 0) {
      rmSync(staging, { recursive: true, force: true });
      if (code === 0) io.stderr(`zero-trust: error: the app wrote nothing (does it call app.synth()?): ${output}/ was left as it was\n`);
      else io.stderr(`synth failed: ${output}/ was left as it was\n`);
      return 1;
    }
    // Two renames: the output folder is never missing or half-written for more than an instant.
    if (existsSync(outdir)) renameSync(outdir, previous);
    renameSync(staging, outdir);
    rmSync(previous, { recursive: true, force: true });
    io.stdout(`synthesized ${written.length} file${written.length === 1 ? '' : 's'} into ${relative(cwd, outdir) || '.'}/\n`);
    return 0;
  } finally {
    rmSync(hookDir, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
  }
}

function readCdk8sConfig(cwd: string): { app?: string; output?: string } {
  const file = join(cwd, 'cdk8s.yaml');
  if (!existsSync(file)) return {};
  let config: unknown;
  try {
    config = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`cdk8s.yaml does not parse: ${(error as Error).message.split('\n')[0]}`);
  }
  if (config === null || config === undefined) return {};
  if (typeof config !== 'object' || Array.isArray(config)) throw new CliError('cdk8s.yaml must be a mapping with "app" (and optionally "output")');
  const { app, output } = config as Record<string, unknown>;
  if (app !== undefined && typeof app !== 'string') throw new CliError(`cdk8s.yaml: "app" must be a command string, not ${JSON.stringify(app)}`);
  if (output !== undefined && typeof output !== 'string') throw new CliError(`cdk8s.yaml: "output" must be a folder name, not ${JSON.stringify(output)}`);
  return { ...(app ? { app } : {}), ...(output ? { output } : {}) };
}

/** Runs the app command in a shell, as cdk8s does, forwarding its output; resolves to its exit code. */
function runApp(command: string, cwd: string, env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(command, { cwd, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', io.stdout);
    child.stderr.setEncoding('utf8').on('data', io.stderr);
    child.on('error', (error) => fail(new CliError(`cannot run the app "${command}": ${error.message}`)));
    child.on('close', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
}
