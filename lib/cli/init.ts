// `zero-trust init`: scaffolds a team's own policy repository that uses this package: the app, a
// test with toAllow/toDeny, CI and pull-request workflows, and a README with the two commands.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { CliError } from './errors';
import type { Io } from './main';
import { packageInfo } from './package-info';

export interface InitOptions {
  readonly dir: string;
  /** What the scaffold's package.json depends on for istio-zero-trust: a version range, a tarball, a folder. */
  readonly packageSpec?: string;
  /** The npm package name of the repository; default: derived from the folder name. */
  readonly name?: string;
}

/** Writes the scaffold; refuses to overwrite anything. Returns the files written, relative to dir. */
export function scaffold(options: InitOptions, io: Io): string[] {
  const dir = resolve(options.dir);
  const files = templates(options.name ?? packageName(basename(dir)), options.packageSpec ?? `^${packageInfo().version}`);
  if (existsSync(dir)) {
    const clashes = Object.keys(files).filter((f) => existsSync(join(dir, f)));
    if (clashes.length > 0) throw new CliError(`${dir} already has ${clashes.join(', ')}: init never overwrites a file; run it in an empty folder or pick another with --dir`);
    if (readdirSync(dir).some((f) => f !== '.git')) io.stderr(`note: ${dir} is not empty; only the scaffold's files were added\n`);
  }
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const where = relative(process.cwd(), dir) || '.';
  io.stdout(`wrote a policy repository in ${where}/:\n${Object.keys(files).map((f) => `  ${f}`).join('\n')}\n\n` +
    `next:\n${where === '.' ? '' : `  cd ${where}\n`}  npm install && npm run synth    # writes dist/\n  npm test                        # type-check and test the policy\n`);
  return Object.keys(files);
}

/** A valid npm package name from a folder name. */
function packageName(folder: string): string {
  const name = folder.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|[-]+$/g, '');
  return name || 'mesh-policy';
}

function templates(name: string, packageSpec: string): Record<string, string> {
  const info = packageInfo();
  const dev = info.devDependencies;
  const pin = (pkg: string, fallback: string) => dev[pkg] ?? info.dependencies[pkg] ?? fallback;
  const packageJson = {
    name,
    version: '0.0.0',
    private: true,
    description: 'Istio zero-trust policy for our mesh, compiled by istio-zero-trust into dist/',
    scripts: {
      synth: 'zero-trust synth',
      test: 'tsc --noEmit && vitest run',
      'zero-trust': 'zero-trust',
    },
    dependencies: {
      cdk8s: pin('cdk8s', '^2.70.0'),
      constructs: pin('constructs', '^10.4.0'),
      'istio-zero-trust': packageSpec,
    },
    devDependencies: {
      '@swc/core': pin('@swc/core', '^1.16.0'),
      '@types/node': pin('@types/node', '^20.0.0'),
      'ts-node': pin('ts-node', '^10.9.2'),
      typescript: pin('typescript', '~5.9.3'),
      vitest: pin('vitest', '^4.0.0'),
    },
  };
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'cdk8s.yaml': CDK8S_YAML,
    'tsconfig.json': TSCONFIG,
    '.gitignore': 'node_modules/\n.dist-staging-*/\n.dist-previous-*/\n',
    'apps/main.ts': MAIN_TS,
    'test/policy.test.ts': TEST_TS,
    '.github/workflows/ci.yml': CI_YML,
    '.github/workflows/policy-review.yml': REVIEW_YML,
    'README.md': readme(name),
  };
}

const CDK8S_YAML = `language: typescript
# zero-trust synth (npm run synth) runs this command with CDK8S_OUTDIR set to a staging folder and
# replaces dist/ only when it succeeds. ts-node --swc skips type-checking: npm test does that.
app: npx ts-node --swc apps/main.ts
output: dist
`;

const TSCONFIG = `${JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    module: 'commonjs',
    moduleResolution: 'node',
    lib: ['ES2022'],
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
  },
  include: ['apps/**/*.ts', 'test/**/*.ts'],
}, null, 2)}\n`;

const MAIN_TS = `// Our mesh's security policy. \`npm run synth\` compiles it into Istio YAML under dist/; commit both.
// Every namespace declared here is closed by default: only the edges below are allowed.
import { App } from 'cdk8s';
import { MtlsMode, WorkloadPort, ZeroTrustMesh, ZeroTrustNamespace } from 'istio-zero-trust';

/** Declares the policy into \`app\`; the tests and \`zero-trust --app\` build it the same way. */
export function buildPolicy(app: App): App {
  // The mesh-wide default: mutual TLS only. Root namespace and trust domain of the Istio install.
  const mesh = new ZeroTrustMesh(app, 'mesh', { trustDomain: 'cluster.local', rootNamespace: 'istio-system', mtls: MtlsMode.STRICT });

  // One ZeroTrustNamespace per Kubernetes namespace you manage (the construct id is its name).
  const shop = new ZeroTrustNamespace(app, 'shop', { mesh });

  // Workloads: service account and \`app\` label default to the name. Declare ports with their
  // protocol, so that edges can only name real ports.
  const frontend = shop.addWorkload('frontend', { ports: [WorkloadPort.http(8080)] });
  const api = shop.addWorkload('api', { ports: [WorkloadPort.http(8080)] });
  const db = shop.addWorkload('db', { ports: [WorkloadPort.tcp(5432)] });

  // Edges: who may call whom, with what. Everything not declared is denied.
  api.allowFrom(frontend, { methods: ['GET', 'POST'], paths: ['/api/*'] });
  db.allowFrom(api, { ports: [5432] });

  // More: Peer.namespace('monitoring'), plaintextPorts for scrapers without a sidecar,
  // ExternalMtlsService for partners, Enforcement.DRY_RUN while a namespace migrates.
  // See the istio-zero-trust README.
  return app;
}

if (require.main === module) buildPolicy(new App()).synth();
`;

const TEST_TS = `// Invariants of our policy, checked against what the compiler emits (no cluster needed).
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ZeroTrustMesh } from 'istio-zero-trust';
import { zeroTrustMatchers } from 'istio-zero-trust/testing';
import { buildPolicy } from '../apps/main';

expect.extend(zeroTrustMatchers); // toAllow / toDeny

const app = buildPolicy(new App());
const mesh = app.node.findAll().filter(ZeroTrustMesh.isZeroTrustMesh)[0].toModel();

describe('shop policy', () => {
  it('lets the frontend read the API', () => {
    expect(mesh).toAllow('shop/frontend', 'shop/api', { method: 'GET', path: '/api/items' });
  });
  it('keeps the frontend away from the database', () => {
    expect(mesh).toDeny('shop/frontend', 'shop/db', { port: 5432 });
  });
  it('refuses clients without a sidecar', () => {
    expect(mesh).toDeny('plaintext', 'shop/api', { method: 'GET', path: '/api/items' });
  });
  it('synthesizes without errors', () => {
    expect(() => app.synthYaml()).not.toThrow();
  });
});
`;

const CI_YML = `# Tests the policy, synthesizes it, and fails when the committed dist/ is not what the code makes.
name: ci
on:
  push:
    branches: [main]
  pull_request:

jobs:
  test-and-synth:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        node: [20, 22, 24]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: \${{ matrix.node }}
          cache: npm
      - run: npm ci
      - run: npm test
      - run: npm run synth
      - name: dist/ must match the code
        run: |
          git diff --exit-code --stat -- dist/
          test -z "$(git status --porcelain --untracked-files=all -- dist/)"
`;

const REVIEW_YML = `# On every pull request: what the change does to who-can-reach-whom, as a comment (updated in place)
# and in the job summary (also for pull requests from forks, whose token cannot comment).
name: policy-review
on:
  pull_request:

permissions:
  contents: read
  pull-requests: write

concurrency:
  group: policy-review-\${{ github.event.pull_request.number }}
  cancel-in-progress: true

jobs:
  review:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # the diff reads dist/ at the base branch
      - uses: actions/setup-node@v4
        with:
          node-version: 22
          cache: npm
      - run: npm ci
      - name: Semantic diff against the base branch
        run: |
          npx zero-trust diff --base "origin/\${{ github.base_ref }}" --app apps/main.ts --format markdown --quiet > policy-diff.md
          cat policy-diff.md >> "$GITHUB_STEP_SUMMARY"
      - name: Comment on the pull request
        if: github.event.pull_request.head.repo.full_name == github.repository
        uses: actions/github-script@v7
        with:
          script: |
            const fs = require('node:fs');
            const marker = '<!-- zero-trust-diff -->';
            const body = \`\${marker}\\n\${fs.readFileSync('policy-diff.md', 'utf8')}\`;
            const { owner, repo } = context.repo;
            const issue_number = context.payload.pull_request.number;
            const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number });
            const previous = comments.find((c) => c.body?.startsWith(marker));
            if (previous) await github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body });
            else await github.rest.issues.createComment({ owner, repo, issue_number, body });
`;

function readme(name: string): string {
  return `# ${name}

Our mesh's Istio zero-trust security, as typed code. [istio-zero-trust](https://www.npmjs.com/package/istio-zero-trust)
compiles \`apps/main.ts\` into PeerAuthentication and AuthorizationPolicy YAML under \`dist/\`, which
Argo CD or Flux applies to the clusters.

\`\`\`sh
npm install && npm run synth   # install, then synthesize apps/main.ts into dist/
npm test                       # type-check and run the policy tests
\`\`\`

- Change the policy in \`apps/main.ts\`, run \`npm run synth\`, and commit the code and \`dist/\`
  together: CI fails when they disagree. A failed synth leaves \`dist/\` as it was.
- \`test/policy.test.ts\` states what must always hold (\`toAllow\` / \`toDeny\`); add a line for
  every rule your team relies on.
- \`npx zero-trust explain --from shop/frontend --to shop/api --method GET --path /api/items\`
  tells why a request is allowed or denied; \`npx zero-trust graph\` draws who can reach whom.
- Every pull request gets a comment saying what it changes in who-can-reach-whom
  (\`.github/workflows/policy-review.yml\`).
`;
}
