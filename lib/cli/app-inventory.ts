// `--app <module>`: workloads from the construct tree. The module exports a function that builds
// the app into a given App (like apps/shop.ts's buildShop), or an App. Nothing is synthesized.
import { resolve } from 'node:path';
import { App } from 'cdk8s';
import { inventoryFromModel, Inventory, mergeInventories } from '../analyzer';
import { ZeroTrustMesh } from '../zero-trust-mesh';
import { CliError } from './errors';

export function inventoryFromApp(spec: string): Inventory {
  const [file, exportName] = spec.split(':');
  let mod: Record<string, unknown>;
  if (/\.[cm]?ts$/.test(file)) registerTypeScript(file);
  try {
    mod = require(resolve(process.cwd(), file));
  } catch (error) {
    throw new CliError(`cannot load --app ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  const candidates = exportName ? [mod[exportName]] : Object.values(mod);
  let app: App | undefined = candidates.find((c): c is App => App.prototype.isPrototypeOf(c as object));
  if (!app) {
    const build = candidates.find((c): c is (app: App) => App | void => typeof c === 'function');
    if (!build) throw new CliError(`--app ${spec}: the module exports neither an App nor a function that builds one${exportName ? ` under "${exportName}"` : ''}`);
    const fresh = new App();
    app = (build(fresh) as App | undefined) ?? fresh;
  }
  const meshes = app.node.findAll().filter(ZeroTrustMesh.isZeroTrustMesh);
  if (meshes.length === 0) throw new CliError(`--app ${spec}: the app declares no ZeroTrustMesh`);
  return meshes.map((m) => inventoryFromModel(m.toModel())).reduce(mergeInventories);
}

/**
 * The installed command runs compiled JavaScript; a policy repository's app is TypeScript. Load it
 * through the repository's own ts-node (every cdk8s TypeScript project has it), without a type
 * check and with swc when it is installed, as `cdk8s synth` runs it.
 */
function registerTypeScript(file: string): void {
  if (require.extensions['.ts']) return; // already registered (tests, ts-node)
  let tsNode: { register: (options: object) => unknown };
  try {
    tsNode = require(require.resolve('ts-node', { paths: [process.cwd()] }));
  } catch {
    throw new CliError(`cannot load --app ${file}: TypeScript needs ts-node in this project (npm install --save-dev ts-node), or pass the compiled .js file`);
  }
  let swc = false;
  try {
    require.resolve('@swc/core', { paths: [process.cwd()] });
    swc = true;
  } catch { /* ts-node transpiles with TypeScript instead */ }
  tsNode.register({ transpileOnly: true, swc });
}
