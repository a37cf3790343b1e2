// Synthesizes into a staging folder and replaces dist/ only when synthesis succeeded, so that a
// failed synth leaves the previously synthesized dist/ in place. (`cdk8s synth` alone deletes its
// output folder before it runs the app.)
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';

const outdir = 'dist';
const staging = `.dist-staging-${process.pid}`;
const previous = `.dist-previous-${process.pid}`;

const result = spawnSync('npx', ['--no-install', 'cdk8s', 'synth', '--no-check-upgrade', '--output', staging], {
  stdio: 'inherit',
  env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
});
if (result.status !== 0) {
  rmSync(staging, { recursive: true, force: true });
  console.error(`synth failed: ${outdir}/ was left as it was`);
  process.exit(result.status ?? 1);
}
// Two renames on one file system: dist/ is never missing or half-written for more than an instant.
if (existsSync(outdir)) renameSync(outdir, previous);
renameSync(staging, outdir);
rmSync(previous, { recursive: true, force: true });
