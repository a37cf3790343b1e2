// The review commands in-process: diff's character budget options and graph's diagram fallback.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileMesh } from '../../lib/core/compile';
import { run } from '../../lib/cli/main';
import { buildMesh, MeshShape, teams } from './fixtures';

const TIMEOUT = 120_000;

async function zt(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(['node', 'zero-trust', ...argv], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
  return { code, stdout, stderr };
}

/** Writes the compiled YAML of a mesh into a fresh folder. */
function writeMesh(shape: MeshShape): string {
  const dir = mkdtempSync(join(tmpdir(), 'zt-review-'));
  const compiled = compileMesh(buildMesh(shape));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'mesh.yaml'), compiled.mesh.map((d) => stringify(d)).join('---\n'));
  for (const [ns, docs] of compiled.namespaces) writeFileSync(join(dir, `${ns}.yaml`), docs.map((d) => stringify(d)).join('---\n'));
  return dir;
}

/** 40 namespaces of 10 workloads, every workload called by the same workload of the previous namespace: 400 edges. */
function chain(): MeshShape {
  const base = teams(40, 10);
  const edges: [string, string][] = [];
  for (let n = 1; n < 40; n++) for (let i = 0; i < 10; i++) edges.push([`team-${String(n - 1).padStart(2, '0')}/svc-${i}`, `team-${String(n).padStart(2, '0')}/svc-${i}`]);
  return { namespaces: base.namespaces, edges: [...base.edges, ...edges] };
}

describe('zero-trust graph --format mermaid', () => {
  it('over the budget prints the namespace level, and a note on how to select', async () => {
    const dir = writeMesh(chain());
    const r = await zt(['graph', '--dir', dir, '--format', 'mermaid']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('n_namespace_team_00 -->|"10 edges"| n_namespace_team_01');
    expect(r.stdout).not.toContain('n_team_00_svc_0');
    expect(r.stderr).toMatch(/^note: the graph has 750 edges, more than Mermaid lays out \(300 edges, 40,000 characters\): drawn at the namespace level; select a part with --to/m);
    // A selection is drawn workload by workload.
    const one = await zt(['graph', '--dir', dir, '--format', 'mermaid', '--to', 'team-05', '-q']);
    expect(one.stdout).toContain('n_team_04_svc_3 --> n_team_05_svc_3');
    expect(one.stderr).toBe('');
  }, TIMEOUT);
});

describe('zero-trust diff --format markdown', () => {
  it('stays under --max-chars, and --full has no budget', async () => {
    const before = writeMesh(teams(40, 10));
    const after = writeMesh(chain());
    const small = await zt(['diff', before, after, '--format', 'markdown', '--max-chars', '5000', '--full-report', 'in the job summary', '-q']);
    expect(small.code).toBe(0);
    expect(small.stdout.length).toBeLessThanOrEqual(5000);
    expect(small.stdout).toMatch(/_\d+ of 390 edges shown, those that widen access first; the complete report: in the job summary_/);
    const normal = await zt(['diff', before, after, '--format', 'markdown', '-q']);
    expect(normal.stdout.length).toBeLessThanOrEqual(60_000);
    const full = await zt(['diff', before, after, '--format', 'markdown', '--full', '-q']);
    expect(full.stdout.split('\n').filter((l) => l.startsWith('| added | team-'))).toHaveLength(390);
    expect(full.stdout).not.toContain('edges shown');
  }, TIMEOUT);

  it('refuses a --max-chars that is not a count, and --max-chars with --full', async () => {
    const dir = writeMesh(teams(1, 2));
    const bad = await zt(['diff', dir, dir, '--format', 'markdown', '--max-chars', '12']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('zero-trust: error: --max-chars 12 is not a whole number of at least 1000');
    const both = await zt(['diff', dir, dir, '--format', 'markdown', '--max-chars', '5000', '--full', '-q']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('zero-trust: error: give --max-chars or --full, not both');
  }, TIMEOUT);
});
