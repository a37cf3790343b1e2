// `diff --base <ref>` reads the folder as it was at a git revision, with one `git cat-file --batch`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { yamlFilesAt } from '../../lib/cli/git';

function repoWith(files: Record<string, string>): string {
  const repo = mkdtempSync(join(tmpdir(), 'zt-git-files-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(repo, name, '..'), { recursive: true });
    writeFileSync(join(repo, name), text);
  }
  const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'base');
  return repo;
}

describe('the YAML of a folder at a git ref', () => {
  it('reads every file of the folder, in order, with names git would quote and multi-byte content', () => {
    const files = {
      'dist/b.k8s.yaml': 'kind: B\n',
      'dist/a.yaml': 'kind: A\n# ü, 字, and a line without a final break',
      'dist/more/prod copy ü.yml': 'kind: C\n',
      'dist/notes.txt': 'not yaml',
      'other/x.yaml': 'kind: X\n',
    };
    const repo = repoWith(files);
    const read = yamlFilesAt('HEAD', 'dist', repo);
    expect(read.map((f) => f.path)).toEqual(['HEAD:dist/a.yaml', 'HEAD:dist/b.k8s.yaml', 'HEAD:dist/more/prod copy ü.yml']);
    expect(read.map((f) => f.read())).toEqual([files['dist/a.yaml'], files['dist/b.k8s.yaml'], files['dist/more/prod copy ü.yml']]);
  });

  it('is empty for a folder that did not exist at the ref', () => {
    const repo = repoWith({ 'dist/a.yaml': 'kind: A\n' });
    expect(yamlFilesAt('HEAD', 'nope', repo)).toEqual([]);
  });

  it('refuses an unknown ref', () => {
    const repo = repoWith({ 'dist/a.yaml': 'kind: A\n' });
    expect(() => yamlFilesAt('no-such-ref', 'dist', repo)).toThrow(/^unknown git ref "no-such-ref"$/);
  });
});
