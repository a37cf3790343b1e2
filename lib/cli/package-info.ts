// The package's own name and version, read from its package.json: from the sources (lib/cli) and
// from the compiled package (build/lib/cli) alike, so --version and `init` never disagree with
// what is installed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  /** Exact versions of the packages a policy repository needs next to this one. */
  readonly dependencies: Readonly<Record<string, string>>;
  readonly peerDependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}

let cached: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8'));
      if (json.name === 'istio-zero-trust') {
        cached = {
          name: json.name,
          version: json.version,
          dependencies: json.dependencies ?? {},
          peerDependencies: json.peerDependencies ?? {},
          devDependencies: json.devDependencies ?? {},
        };
        return cached;
      }
    }
    if (dirname(dir) === dir) throw new Error(`package.json of istio-zero-trust not found above ${__dirname}`);
  }
}
