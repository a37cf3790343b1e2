// `diff --base <ref>`: the Istio YAML of a folder as it was at a git revision, read with git itself
// (no checkout, the working tree is left alone).
import { spawnSync } from 'node:child_process';
import { relative, resolve } from 'node:path';
import type { PendingSourceFile } from '../analyzer/config';
import { CliError } from './errors';

/** git's output, as bytes (a file's size in `git cat-file` counts bytes); its first error line as a CliError. */
function git(args: string[], cwd: string, input?: string): Buffer {
  const result = spawnSync('git', args, { cwd, input, maxBuffer: 2 ** 31 - 1 });
  if (result.error) throw new CliError(`cannot run git: ${result.error.message}`);
  if (result.status !== 0) throw new CliError(`git ${args[0]} failed: ${result.stderr.toString('utf8').trim().split('\n')[0]}`);
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
  const names = git(['ls-tree', '-r', '-z', '--name-only', '--full-tree', ref, '--', prefix || '.'], top).toString('utf8')
    .split('\0').filter((name) => /\.(ya?ml|json)$/i.test(name)).sort();
  if (names.length === 0) return [];
  const lineBreak = names.find((name) => name.includes('\n'));
  if (lineBreak !== undefined) throw new CliError(`${ref}:${JSON.stringify(lineBreak)}: a file name with a line break cannot be read from git; rename it`);
  // For each name, in order: "<object id> blob <size in bytes>", a line break, the content, a line break.
  const out = git(['cat-file', '--batch'], top, names.map((name) => `${ref}:${name}\n`).join(''));
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
