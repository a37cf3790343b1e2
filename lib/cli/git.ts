// `diff --base <ref>`: the Istio YAML of a folder as it was at a git revision, read with git itself
// (no checkout, the working tree is left alone).
import { spawnSync } from 'node:child_process';
import { relative, resolve } from 'node:path';
import type { PendingSourceFile } from '../analyzer/config';
import { CliError } from './errors';

function git(args: string[], cwd: string): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (result.error) throw new CliError(`cannot run git: ${result.error.message}`);
  if (result.status !== 0) throw new CliError(`git ${args[0]} failed: ${(result.stderr || '').trim().split('\n')[0]}`);
  return result.stdout;
}

/**
 * The YAML files under `dir` at `ref`, each decoded when it is parsed (see parseSourceFiles); an
 * empty list when the folder did not exist then. Every file's content comes from one
 * `git cat-file --batch`: a `git show` per file started a process per file.
 */
export function yamlFilesAt(ref: string, dir: string, cwd = process.cwd()): PendingSourceFile[] {
  const top = gitTopLevel(cwd);
  const check = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd, encoding: 'utf8' });
  if (check.status !== 0) throw new CliError(`unknown git ref "${ref}"`);
  const prefix = relative(top, resolve(cwd, dir)).split('\\').join('/');
  // -z: names as they are; without it git quotes a name with a quote, a backslash or a control
  // character, and (core.quotePath) one with non-ASCII bytes.
  const names = git(['ls-tree', '-r', '-z', '--name-only', '--full-tree', ref, '--', prefix || '.'], top)
    .split('\0').filter((name) => /\.(ya?ml|json)$/i.test(name)).sort();
  if (names.length === 0) return [];
  const lineBreak = names.find((name) => name.includes('\n'));
  if (lineBreak !== undefined) throw new CliError(`${ref}:${JSON.stringify(lineBreak)}: a file name with a line break cannot be read from git; rename it`);
  const batch = spawnSync('git', ['cat-file', '--batch'], { cwd: top, input: names.map((name) => `${ref}:${name}\n`).join(''), maxBuffer: 2 ** 31 - 1 });
  if (batch.error) throw new CliError(`cannot run git: ${batch.error.message}`);
  if (batch.status !== 0) throw new CliError(`git cat-file failed: ${batch.stderr.toString('utf8').trim().split('\n')[0]}`);
  // For each name, in order: "<object id> blob <size in bytes>", a line break, the content, a line break.
  const out = batch.stdout;
  const files: PendingSourceFile[] = [];
  let position = 0;
  for (const name of names) {
    const endOfHeader = out.indexOf(0x0a, position);
    const header = out.toString('utf8', position, endOfHeader < 0 ? out.length : endOfHeader);
    const blob = /^[0-9a-f]+ blob (\d+)$/.exec(header);
    if (endOfHeader < 0 || blob === null) throw new CliError(`git cat-file cannot read ${ref}:${name} (${header})`);
    const start = endOfHeader + 1;
    const end = start + Number(blob[1]);
    files.push({ path: `${ref}:${name}`, read: () => out.toString('utf8', start, end) });
    position = end + 1;
  }
  return files;
}

function gitTopLevel(cwd: string): string {
  const result = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8' });
  if (result.error) throw new CliError(`cannot run git: ${result.error.message}`);
  if (result.status !== 0) throw new CliError(`--base needs a git repository, and ${cwd} is not in one`);
  return result.stdout.trim();
}
