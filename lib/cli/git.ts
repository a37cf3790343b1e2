// `diff --base <ref>`: the Istio YAML of a folder as it was at a git revision, read with git itself
// (no checkout, the working tree is left alone).
import { spawnSync } from 'node:child_process';
import { relative, resolve } from 'node:path';
import type { SourceFile } from '../analyzer';
import { CliError } from './errors';

function git(args: string[], cwd: string): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (result.error) throw new CliError(`cannot run git: ${result.error.message}`);
  if (result.status !== 0) throw new CliError(`git ${args[0]} failed: ${(result.stderr || '').trim().split('\n')[0]}`);
  return result.stdout;
}

/** The YAML files under `dir` at `ref`; an empty list when the folder did not exist then. */
export function readYamlFilesAt(ref: string, dir: string, cwd = process.cwd()): SourceFile[] {
  const top = gitTopLevel(cwd);
  const check = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd, encoding: 'utf8' });
  if (check.status !== 0) throw new CliError(`unknown git ref "${ref}"`);
  const prefix = relative(top, resolve(cwd, dir)).split('\\').join('/');
  const names = git(['ls-tree', '-r', '--name-only', '--full-tree', ref, '--', prefix || '.'], top)
    .split('\n').filter((name) => /\.(ya?ml|json)$/i.test(name)).sort();
  return names.map((name) => ({ path: `${ref}:${name}`, text: git(['show', `${ref}:${name}`], top) }));
}

function gitTopLevel(cwd: string): string {
  const result = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8' });
  if (result.error) throw new CliError(`cannot run git: ${result.error.message}`);
  if (result.status !== 0) throw new CliError(`--base needs a git repository, and ${cwd} is not in one`);
  return result.stdout.trim();
}
