// A small Mermaid flowchart writer: namespaces become subgraphs, callers outside any namespace
// (plaintext clients, "anyone", external hosts) stay at the top level. Ids are derived from the
// node references, so the same mesh always gives the same text.
import { compare } from './config';
import { ANY_MESH, ANYONE } from './format';

export type EdgeStyle = 'solid' | 'dashed' | 'thick';

interface Edge { from: string; to: string; label: string; style: EdgeStyle; color?: string }

export class MermaidBuilder {
  private readonly nodes = new Set<string>();
  private readonly edges: Edge[] = [];

  /** Registers a node by its reference ("ns/name", "ns/*", "plaintext", "external:host", ...). */
  public node(ref: string): void {
    this.nodes.add(ref);
  }

  public edge(from: string, to: string, label: string, style: EdgeStyle = 'solid', color?: string): void {
    this.node(from);
    this.node(to);
    this.edges.push({ from, to, label, style, ...(color ? { color } : {}) });
  }

  public render(): string {
    const ids = new Map<string, string>();
    const used = new Set<string>();
    for (const ref of [...this.nodes].sort(compare)) {
      const base = `n_${ref.replace(/\*/g, 'any').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '')}`;
      let id = base;
      for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
      used.add(id);
      ids.set(ref, id);
    }
    const lines = ['flowchart LR'];
    const byNamespace = new Map<string, string[]>();
    const top: string[] = [];
    for (const ref of [...this.nodes].sort(compare)) {
      const ns = namespaceOf(ref);
      if (ns) {
        let list = byNamespace.get(ns);
        if (!list) byNamespace.set(ns, (list = []));
        list.push(ref);
      } else {
        top.push(ref);
      }
    }
    for (const [ns, refs] of [...byNamespace.entries()].sort(([a], [b]) => compare(a, b))) {
      lines.push(`  subgraph ns_${ns.replace(/[^A-Za-z0-9]+/g, '_')}["${escape(ns)}"]`);
      for (const ref of refs) lines.push(`    ${shape(ids.get(ref)!, ref)}`);
      lines.push('  end');
    }
    for (const ref of top) lines.push(`  ${shape(ids.get(ref)!, ref)}`);
    const styles: string[] = [];
    this.edges.forEach((e, i) => {
      const arrow = e.style === 'dashed' ? '-.->' : e.style === 'thick' ? '==>' : '-->';
      lines.push(`  ${ids.get(e.from)} ${arrow}${e.label ? `|"${escape(e.label)}"|` : ''} ${ids.get(e.to)}`);
      if (e.color) styles.push(`  linkStyle ${i} stroke:${e.color},stroke-width:2px`);
    });
    return [...lines, ...styles].join('\n');
  }
}

function namespaceOf(ref: string): string | undefined {
  if (ref.startsWith('principal:')) return ref.split('/')[2];
  if (ref.startsWith('external:') || ref === '*/*' || !ref.includes('/')) return undefined;
  return ref.split('/')[0];
}

function shape(id: string, ref: string): string {
  if (ref.startsWith('external:')) return `${id}[("${escape(ref.slice('external:'.length))}")]`;
  if (ref === 'plaintext') return `${id}(["plaintext clients (no sidecar)"])`;
  if (ref === ANYONE) return `${id}(["anyone, plaintext included"])`;
  if (ref === ANY_MESH) return `${id}(["any mesh workload"])`;
  if (ref === '*/*') return `${id}(["any other mesh workload"])`;
  if (ref.startsWith('principal:')) return `${id}(["sa ${escape(ref.split('/')[4] ?? ref)}"])`;
  const name = ref.split('/')[1];
  return name === '*' ? `${id}(["other workloads"])` : `${id}["${escape(name)}"]`;
}

function escape(text: string): string {
  return text.replace(/"/g, '#quot;');
}
