// The package as a platform team gets it (npm run test:package; a step of CI). Packs this
// repository, checks what the tarball ships, scaffolds a policy repository with the packed
// `zero-trust init`, installs it next to cdk8s and constructs from the registry, and runs what the
// scaffold's README promises (npm run synth, npm test), then the installed command and the package
// from plain `node`, with no ts-node in between. Processes are the point here: this is the one
// place the tests spawn npm and the real bin.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'zt-package-'));
const keep = process.argv.includes('--keep');
const started = Date.now();
let failures = 0;

function step(title, command, args, options = {}) {
  const t0 = Date.now();
  const r = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' }, timeout: 600_000, ...options });
  const ok = r.status === 0;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${title} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (!ok) {
    failures++;
    console.log(`     $ ${command} ${args.join(' ')}\n${`${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim().replace(/^/gm, '     ')}`);
  }
  return r;
}

function check(title, condition, detail = '') {
  console.log(`${condition ? 'ok  ' : 'FAIL'} ${title}${condition || !detail ? '' : `\n     ${detail}`}`);
  if (!condition) failures++;
}

try {
  // 1. Pack: `prepare` compiles lib/ into build/.
  const packed = step('npm pack', 'npm', ['pack', '--json', '--pack-destination', work], { cwd: root });
  if (packed.status !== 0) throw new Error('npm pack failed');
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')))[0];
  const tarball = join(work, info.filename);
  const shipped = info.files.map((f) => f.path);
  const allowed = /^(build\/(lib|imports)\/.+\.(js|d\.ts)|schemas\/[a-z-]+\.schema\.json|package\.json|README\.md|LICENSE|NOTICE)$/;
  check('the tarball ships only the compiled package, its types and its notices', shipped.every((f) => allowed.test(f)),
    `unexpected: ${shipped.filter((f) => !allowed.test(f)).join(', ')}`);
  for (const f of ['build/lib/index.js', 'build/lib/index.d.ts', 'build/lib/cli/bin.js', 'build/lib/analyzer/index.js', 'build/lib/testing/index.js', 'schemas/inventory.schema.json', 'LICENSE', 'NOTICE']) {
    check(`the tarball has ${f}`, shipped.includes(f));
  }

  // 2. Scaffold with the packed command, as `npx zero-trust init` does from the registry.
  const policy = join(work, 'policy');
  step('npx zero-trust init (from the tarball)', 'npm', ['exec', '--yes', `--package=${tarball}`, '--', 'zero-trust', 'init', '--dir', policy, '--package-spec', `file:${tarball}`], { cwd: work });
  if (!existsSync(join(policy, 'package.json'))) throw new Error('init wrote no package.json');

  // 3. The scaffold's README: two commands.
  step('scaffold: npm install && npm run synth', 'bash', ['-c', 'npm install --prefer-offline --no-audit --no-fund && npm run synth'], { cwd: policy });
  const dist = existsSync(join(policy, 'dist')) ? readdirSync(join(policy, 'dist')).sort() : [];
  check('scaffold: dist/ has the mesh and the namespace', JSON.stringify(dist) === JSON.stringify(['mesh.k8s.yaml', 'shop.k8s.yaml']), `dist/: ${dist.join(', ')}`);
  step('scaffold: npm test', 'npm', ['test'], { cwd: policy });

  // 4. The installed command: compiled JavaScript, no ts-node.
  const bin = join(policy, 'node_modules', '.bin', 'zero-trust');
  const target = readFileSync(join(policy, 'node_modules', 'istio-zero-trust', 'package.json'), 'utf8');
  check('the bin is compiled JavaScript', JSON.parse(target).bin['zero-trust'].endsWith('.js'));
  const version = step('zero-trust --version', bin, ['--version'], { cwd: policy });
  check('--version prints the packed version', version.stdout.trim() === info.version, version.stdout);
  const explain = step('zero-trust explain --app apps/main.ts', bin, ['explain', '--app', 'apps/main.ts', '--from', 'shop/frontend', '--to', 'shop/api', '--method', 'GET', '--path', '/api/items'], { cwd: policy });
  check('explain answers ALLOWED', explain.stdout.startsWith('ALLOWED: shop/frontend -> shop/api'), explain.stdout);
  const failed = step('zero-trust synth of a refused input fails cleanly', 'bash', ['-c',
    "sed -i \"s/methods: \\['GET', 'POST'\\]/methods: ['get']/\" apps/main.ts && ! npm run synth --silent"], { cwd: policy });
  check('a refused input prints one line, no stack trace, and keeps dist/',
    /method "get" is not an HTTP method/.test(failed.stderr) && !/\n\s+at /.test(failed.stderr) && readdirSync(join(policy, 'dist')).length === 2, failed.stderr);

  // 5. The package by name from plain node, outside any TypeScript tooling.
  writeFileSync(join(policy, 'plain.js'), `
const { App } = require('cdk8s');
const { ZeroTrustMesh, ZeroTrustNamespace } = require('istio-zero-trust');
const { analysisFromModel, decide } = require('istio-zero-trust/analyzer');
const app = new App({ outdir: 'plain-dist' });
const mesh = new ZeroTrustMesh(app, 'mesh');
const ns = new ZeroTrustNamespace(app, 'team', { mesh });
ns.addWorkload('b').allowFrom(ns.addWorkload('a'), { methods: ['GET'] });
// Enough edges that \`graph\` prints far more than a pipe buffer: \`| head\` must close it early.
for (let i = 0; i < 150; i++) ns.addWorkload(\`w\${i}\`).allowFrom(ns, { methods: ['GET'] });
app.synth();
const d = decide(analysisFromModel(mesh.toModel()), { from: 'team/a', to: 'team/b', method: 'GET' });
console.log(d.verdict);
`);
  const plain = step('node plain.js (require by name, no ts-node)', process.execPath, ['plain.js'], { cwd: policy });
  check('plain node synthesizes and decides', plain.stdout.trim() === 'ALLOWED' && existsSync(join(policy, 'plain-dist', 'team.k8s.yaml')), plain.stdout + plain.stderr);
  const piped = step('zero-trust graph | head -1 ends quietly', 'bash', ['-c', `set -o pipefail; ${JSON.stringify(bin)} graph --dir plain-dist -q | head -1`], { cwd: policy });
  check('a closed pipe is no error', piped.status === 0 && piped.stderr === '' && piped.stdout === 'flowchart LR\n', piped.stderr);
} catch (error) {
  failures++;
  console.log(`FAIL ${error.message}`);
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
console.log(`package smoke test: ${failures === 0 ? 'passed' : `${failures} failed`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(failures === 0 ? 0 : 1);
