// Reading Istio YAML from a folder. The only file-system code of the analyzer; everything else
// works on parsed objects.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError, IstioConfig, ParseCache, parseSourceFiles, SourceFile } from './config';

const YAML_FILE = /\.(ya?ml|json)$/i;

/**
 * Reads every .yaml, .yml and .json file under `dir` (recursively, in sorted order). Loads of
 * several folders that share a `cache` parse each identical file text once. Each file is read when
 * it is parsed (see parseSourceFiles).
 */
export function loadIstioDir(dir: string, cache?: ParseCache): IstioConfig {
  return parseSourceFiles(listYamlFiles(dir).map(({ path, file }) => ({ path, read: () => readText(file, path) })), cache);
}

export function readYamlFiles(dir: string): SourceFile[] {
  return listYamlFiles(dir).map(({ path, file }) => ({ path, text: readText(file, path) }));
}

/** A file's text, or a ConfigError naming it (a broken symbolic link, a file without read permission). */
function readText(file: string, shown: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    // Node's message ends with ", open '<path>'": the path is named once, first.
    throw new ConfigError(`${shown}: cannot be read: ${(error as Error).message.replace(/, \w+ '.*'$/, '')}`);
  }
}

/** The YAML files under `dir`, in sorted order: the path to show, and the file's own path. */
function listYamlFiles(dir: string): { path: string; file: string }[] {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new ConfigError(`folder ${dir} does not exist`);
  }
  if (!stat.isDirectory()) throw new ConfigError(`${dir} is not a folder`);
  const files: { path: string; file: string }[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && entry.name !== 'node_modules') walk(path);
      } else if (YAML_FILE.test(entry.name)) {
        const shown = relative(process.cwd(), path);
        files.push({ path: shown && !shown.startsWith('..') ? shown : path, file: path });
      }
    }
  };
  walk(dir);
  return files;
}
