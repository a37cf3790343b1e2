// What every command reads: a folder of Istio YAML (or the same folder at a git ref) and the
// workloads, from --app (the construct tree), --inventory (a file) or inferred from the YAML.
import { readFileSync } from 'node:fs';
import {
  Analysis, inferInventory, Inventory, IstioConfig, loadIstioDir, mergeInventories, ParseCache, parseInventory,
} from '../analyzer';
import { parseSourceFiles } from '../analyzer/config';
import { inventoryFromApp } from './app-inventory';
import { CliError } from './errors';
import { yamlFilesAt } from './git';

export interface InputOptions {
  readonly dir: string;
  readonly inventory?: string;
  readonly app?: string;
  readonly rootNamespace?: string;
  readonly trustDomain?: string;
}

export type Note = (message: string) => void;

/** Loads a folder; loads that share `cache` (the two sides of a diff) parse identical files once. */
export function loadConfig(dir: string, note: Note, cache?: ParseCache): IstioConfig {
  const config = loadIstioDir(dir, cache);
  for (const n of config.notes) note(n);
  if (config.objects.length === 0) note(`${dir}: no Istio security objects found`);
  return config;
}

export function loadConfigAt(ref: string, dir: string, note: Note, cache?: ParseCache): IstioConfig {
  const files = yamlFilesAt(ref, dir);
  if (files.length === 0) note(`${dir} has no YAML at ${ref}: comparing against an empty configuration`);
  const config = parseSourceFiles(files, cache);
  for (const n of config.notes) note(n);
  return config;
}

/** The declared inventory (--app or --inventory), or undefined when it must be inferred. */
export function declaredInventory(options: InputOptions, note: Note): Inventory | undefined {
  if (options.app && options.inventory) throw new CliError('give --app or --inventory, not both');
  let inventory: Inventory | undefined;
  if (options.app) {
    inventory = inventoryFromApp(options.app);
  } else if (options.inventory) {
    let text: string;
    try {
      text = readFileSync(options.inventory, 'utf8');
    } catch {
      throw new CliError(`inventory file ${options.inventory} does not exist`);
    }
    inventory = parseInventory(text, options.inventory);
  }
  if (inventory) for (const n of inventory.notes) note(n);
  return inventory && overrides(inventory, options);
}

export function analysisOf(config: IstioConfig, options: InputOptions, note: Note): Analysis {
  const inventory = declaredInventory(options, note) ?? inferred([config], options, note);
  return { config, inventory };
}

/** Both sides of a diff share one inventory, so that the same workloads are compared. */
export function analysesOf(before: IstioConfig, after: IstioConfig, options: InputOptions, note: Note): [Analysis, Analysis] {
  const inventory = declaredInventory(options, note) ?? inferred([before, after], options, note);
  return [{ config: before, inventory }, { config: after, inventory }];
}

function inferred(configs: IstioConfig[], options: InputOptions, note: Note): Inventory {
  const inventories = configs.map((c) => inferInventory(c, { ...(options.rootNamespace ? { rootNamespace: options.rootNamespace } : {}), ...(options.trustDomain ? { trustDomain: options.trustDomain } : {}) }));
  const inventory = inventories.reduce(mergeInventories);
  for (const n of inventory.notes) note(n);
  return inventory;
}

function overrides(inventory: Inventory, options: InputOptions): Inventory {
  return {
    ...inventory,
    ...(options.rootNamespace ? { rootNamespace: options.rootNamespace } : {}),
    ...(options.trustDomain ? { trustDomain: options.trustDomain } : {}),
  };
}

