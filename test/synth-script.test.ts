// `npm run synth` must never leave dist/ empty or half-written: a failed synth keeps the previous one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');
let project: string;

function makeProject(app: string) {
  project = mkdtempSync(join(tmpdir(), 'zt-synth-'));
  symlinkSync(join(root, 'node_modules'), join(project, 'node_modules'));
  writeFileSync(join(project, 'cdk8s.yaml'), 'language: typescript\napp: node app.js\n');
  writeFileSync(join(project, 'app.js'), app);
  mkdirSync(join(project, 'dist'));
  writeFileSync(join(project, 'dist', 'old.k8s.yaml'), 'previous: output\n');
}

const run = () => spawnSync('node', [join(root, 'scripts', 'synth.mjs')], { cwd: project, encoding: 'utf8', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });

afterEach(() => rmSync(project, { recursive: true, force: true }));

describe('npm run synth', () => {
  it('keeps the previous dist/ when the app fails', () => {
    makeProject("throw new Error('[production/edge] method \"get\" is not an HTTP method');\n");
    const result = run();
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/synth failed: dist\/ was left as it was/);
    expect(readdirSync(join(project, 'dist'))).toEqual(['old.k8s.yaml']);
    expect(readFileSync(join(project, 'dist', 'old.k8s.yaml'), 'utf8')).toBe('previous: output\n');
    expect(readdirSync(project).filter((f) => f.startsWith('.dist-'))).toEqual([]);
  });
  it('replaces dist/ when the app succeeds', () => {
    makeProject(`const { App, Chart, ApiObject } = require('cdk8s');
const app = new App(); const chart = new Chart(app, 'ns');
new ApiObject(chart, 'x', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
app.synth();
`);
    const result = run();
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(join(project, 'dist'))).toEqual(['ns.k8s.yaml']);
  });
});
