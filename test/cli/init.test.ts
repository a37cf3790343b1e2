// `zero-trust init` scaffolds a policy repository. The scaffold's own two commands are run for real,
// against the packed package, by scripts/package-smoke.mjs (npm run test:package, in CI); here:
// what it writes, that it never overwrites, and that its starter policy and test hold.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App } from 'cdk8s';
import { afterEach, describe, expect, it } from 'vitest';
import { ZeroTrustMesh } from '../../lib';
import { zeroTrustMatchers } from '../../lib/testing';
import { zeroTrust } from '../support/cli';

expect.extend(zeroTrustMatchers);

const ROOT = resolve(__dirname, '../..');
const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('zero-trust init', () => {
  it('writes the app, a test, the workflows and a README with the two commands', async () => {
    dir = mkdtempSync(join(tmpdir(), 'zt-init-'));
    const target = join(dir, 'Mesh Policy');
    const r = await zeroTrust(['init', '--dir', target]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('npm install && npm run synth');
    const files = ['package.json', 'cdk8s.yaml', 'tsconfig.json', '.gitignore', 'apps/main.ts', 'test/policy.test.ts',
      '.github/workflows/ci.yml', '.github/workflows/policy-review.yml', 'README.md'];
    for (const f of files) expect(r.stdout).toContain(`  ${f}\n`);
    const pkg = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'mesh-policy', private: true, scripts: { synth: 'zero-trust synth', test: 'tsc --noEmit && vitest run' } });
    expect(pkg.dependencies['istio-zero-trust']).toBe(`^${version}`);
    expect(Object.keys(pkg.dependencies)).toEqual(['cdk8s', 'constructs', 'istio-zero-trust']);
    expect(pkg.devDependencies.typescript).toMatch(/^5\.9\./);
    expect(readFileSync(join(target, 'cdk8s.yaml'), 'utf8')).toContain('app: npx ts-node --swc apps/main.ts');
    expect(readFileSync(join(target, 'README.md'), 'utf8')).toContain('npm install && npm run synth   # install, then synthesize apps/main.ts into dist/\nnpm test');
    const ci = readFileSync(join(target, '.github/workflows/ci.yml'), 'utf8');
    expect(ci).toContain('node: [20, 22, 24]');
    const review = readFileSync(join(target, '.github/workflows/policy-review.yml'), 'utf8');
    expect(review).toContain('--app apps/main.ts');
    expect(review).toContain('GITHUB_STEP_SUMMARY');
    expect(review).toContain('concurrency:');
  });

  it('takes the package from a tarball or folder with --package-spec', async () => {
    dir = mkdtempSync(join(tmpdir(), 'zt-init-'));
    expect((await zeroTrust(['init', '--dir', dir, '--package-spec', 'file:../istio-zero-trust-0.1.0.tgz', '--name', 'policy'])).code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'policy', dependencies: { 'istio-zero-trust': 'file:../istio-zero-trust-0.1.0.tgz' } });
  });

  it('never overwrites a file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'zt-init-'));
    writeFileSync(join(dir, 'README.md'), 'ours\n');
    const r = await zeroTrust(['init', '--dir', dir]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(`zero-trust: error: ${dir} already has README.md: init never overwrites a file; run it in an empty folder or pick another with --dir\n`);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('ours\n');
  });

  it('starts from a policy that synthesizes and passes its own test', async () => {
    dir = mkdtempSync(join(tmpdir(), 'zt-init-'));
    await zeroTrust(['init', '--dir', dir]);
    // The scaffold imports the package by name; here the same code runs against the sources.
    const main = readFileSync(join(dir, 'apps/main.ts'), 'utf8').replace("from 'istio-zero-trust'", `from ${JSON.stringify(join(ROOT, 'lib'))}`);
    writeFileSync(join(dir, 'apps/main.ts'), main);
    const { buildPolicy } = await import(join(dir, 'apps/main.ts'));
    const app: App = buildPolicy(new App());
    const mesh = app.node.findAll().filter(ZeroTrustMesh.isZeroTrustMesh)[0].toModel();
    expect(mesh).toAllow('shop/frontend', 'shop/api', { method: 'GET', path: '/api/items' });
    expect(mesh).toDeny('shop/frontend', 'shop/db', { port: 5432 });
    expect(mesh).toDeny('plaintext', 'shop/api', { method: 'GET', path: '/api/items' });
    expect(app.synthYaml()).toContain('kind: AuthorizationPolicy');
  });
});

describe('zero-trust --version', () => {
  it('prints the package version', async () => {
    expect(await zeroTrust(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
