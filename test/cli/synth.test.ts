// `zero-trust synth` (npm run synth): a failed synth keeps the previous output and prints each
// problem once, without a stack trace; a good one replaces the output. Each case runs a real app
// (one short Node process), so each has an explicit timeout for a busy runner.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { synthesize } from '../../lib/cli/synth';
import { zeroTrust } from '../support/cli';

const ROOT = resolve(__dirname, '../..');
const APP_TIMEOUT = 60_000;
let project: string;

const GOOD_APP = `const { App, Chart, ApiObject } = require('cdk8s');
const app = new App(); const chart = new Chart(app, 'ns');
new ApiObject(chart, 'x', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
app.synth();
`;

function makeProject(app: string, cdk8sYaml = 'language: typescript\napp: node app.js\n') {
  project = mkdtempSync(join(tmpdir(), 'zt-synth-'));
  symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  writeFileSync(join(project, 'cdk8s.yaml'), cdk8sYaml);
  writeFileSync(join(project, 'app.js'), app);
  mkdirSync(join(project, 'dist'));
  writeFileSync(join(project, 'dist', 'old.k8s.yaml'), 'previous: output\n');
}

async function synth(options: { app?: string; output?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await synthesize(options, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } }, project);
  return { code, stdout, stderr };
}

const keptPrevious = () => {
  expect(readdirSync(join(project, 'dist'))).toEqual(['old.k8s.yaml']);
  expect(readFileSync(join(project, 'dist', 'old.k8s.yaml'), 'utf8')).toBe('previous: output\n');
  expect(readdirSync(project).filter((f) => f.startsWith('.dist-'))).toEqual([]);
};

afterEach(() => rmSync(project, { recursive: true, force: true }));

describe('zero-trust synth', () => {
  it('keeps the previous dist/ when the library refuses an input, and prints the problem once', async () => {
    makeProject("throw new Error('[production/edge] method \"get\" is not an HTTP method');\n");
    const r = await synth();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('[production/edge] method "get" is not an HTTP method\nsynth failed: dist/ was left as it was\n');
    keptPrevious();
  }, APP_TIMEOUT);

  it('prints a failed validation as its list of problems, without a stack trace', async () => {
    makeProject(`const e = new Error('Validation failed with the following errors:\\n  [prod/b] workloads "a" and "b" share service account "a"');
throw e;
`);
    const r = await synth();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Validation failed with the following errors:\n  [prod/b] workloads "a" and "b" share service account "a"\nsynth failed: dist/ was left as it was\n');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    keptPrevious();
  }, APP_TIMEOUT);

  it('keeps the stack of an error in the app itself: it tells where the code broke', async () => {
    makeProject('const x = undefined;\nx.addWorkload("a");\n');
    const r = await synth();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TypeError: Cannot read properties of undefined[\s\S]*app\.js:2/);
    keptPrevious();
  }, APP_TIMEOUT);

  it('keeps the previous dist/ when the app writes nothing', async () => {
    makeProject("require('cdk8s'); // forgot app.synth()\n");
    const r = await synth();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('zero-trust: error: the app wrote nothing (does it call app.synth()?): dist/ was left as it was\n');
    keptPrevious();
  }, APP_TIMEOUT);

  it('replaces dist/ when the app succeeds, and names the real output folder', async () => {
    makeProject(GOOD_APP);
    const r = await synth();
    expect(r).toEqual({ code: 0, stdout: 'synthesized 1 file into dist/\n', stderr: '' });
    expect(readdirSync(join(project, 'dist'))).toEqual(['ns.k8s.yaml']);
    expect(readdirSync(project).filter((f) => f.startsWith('.dist-'))).toEqual([]);
  }, APP_TIMEOUT);

  it('synthesizes the app and output that cdk8s.yaml names, or --app and --output', async () => {
    makeProject(GOOD_APP, 'app: node policy.js\noutput: manifests\n');
    writeFileSync(join(project, 'policy.js'), GOOD_APP);
    expect((await synth()).stdout).toBe('synthesized 1 file into manifests/\n');
    expect(readdirSync(join(project, 'manifests'))).toEqual(['ns.k8s.yaml']);
    expect((await synth({ app: 'node app.js', output: 'out' })).stdout).toBe('synthesized 1 file into out/\n');
    expect(existsSync(join(project, 'out', 'ns.k8s.yaml'))).toBe(true);
  }, APP_TIMEOUT);

  it('refuses a project without an app, or a cdk8s.yaml it cannot read', async () => {
    makeProject('', 'output: dist\n');
    expect(await zeroTrust(['synth'], project)).toMatchObject({
      code: 2, stderr: 'zero-trust: error: no app to synthesize: give --app "<command>" or write cdk8s.yaml with an "app" command (zero-trust init writes one)\n',
    });
    writeFileSync(join(project, 'cdk8s.yaml'), 'app: [node, app.js]\n');
    expect(await zeroTrust(['synth'], project)).toMatchObject({ code: 2, stderr: 'zero-trust: error: cdk8s.yaml: "app" must be a command string, not ["node","app.js"]\n' });
    writeFileSync(join(project, 'cdk8s.yaml'), 'app: "node\n');
    expect((await zeroTrust(['synth'], project)).stderr).toMatch(/^zero-trust: error: cdk8s\.yaml does not parse: /);
    keptPrevious();
  });
});
