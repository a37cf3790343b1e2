// A small Mermaid flowchart writer: namespaces become subgraphs, callers outside any namespace
// (plaintext clients, "anyone", external hosts) stay at the top level. Ids are derived from the
// node references, so the same mesh always gives the same text.
import { compare } from './config';
import { ANY_MESH, ANYONE } from './format';

export type EdgeStyle = 'solid' | 'dashed' | 'thick';

interface Edge { from: string; to: string; label: string; style: EdgeStyle; color?: string }

/**
 * What a diagram may hold to render on GitHub. Mermaid refuses a text over its maxTextSize (50,000
 * characters, "Maximum text size in diagram exceeded") and more edges than its maxEdges (500); in
 * practice the layout of a flowchart with subgraphs already fails or becomes unreadable before
 * that (a 423-edge graph crashed it), so a diagram keeps well under both.
 */
export const MERMAID_LIMITS = { edges: 300, chars: 40_000 } as const;

export class MermaidBuilder {
  private readonly nodes = new Set<string>();
  private readonly edges: Edge[] = [];
  private readonly comments: string[] = [];

  public get edgeCount(): number {
    return this.edges.length;
  }

  /** A `%%` comment line at the top of the diagram (Mermaid ignores it; a reader of the text sees it). */
  public comment(text: string): void {
    this.comments.push(text.replace(/[\r\n]+/g, ' '));
  }

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
    const lines = ['flowchart LR', ...this.comments.map((c) => `  %% ${c}`)];
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

/** The namespace a node is drawn in (its subgraph), or undefined for the top level. */
export function namespaceOf(ref: string): string | undefined {
  if (ref.startsWith('principal:')) return ref.split('/')[2];
  if (ref.startsWith('external:') || ref.startsWith('namespace:') || ref === '*/*' || !ref.includes('/')) return undefined;
  return ref.split('/')[0];
}

/**
 * The node a reference is drawn as in a namespace-level diagram: a workload, "other workloads" or
 * an identity becomes its namespace (`namespace:<ns>`); callers outside namespaces stay themselves.
 */
export function namespaceNode(ref: string): string {
  const ns = namespaceOf(ref);
  return ns === undefined ? ref : `namespace:${ns}`;
}

function shape(id: string, ref: string): string {
  if (ref.startsWith('external:')) return `${id}[("${escape(ref.slice('external:'.length))}")]`;
  if (ref === 'plaintext') return `${id}(["plaintext clients (no sidecar)"])`;
  if (ref === ANYONE) return `${id}(["anyone, plaintext included"])`;
  if (ref === ANY_MESH) return `${id}(["any mesh workload"])`;
  if (ref === '*/*') return `${id}(["any other mesh workload"])`;
  if (ref.startsWith('namespace:')) return `${id}[["${escape(ref.slice('namespace:'.length))}"]]`;
  if (ref.startsWith('principal:')) return `${id}(["sa ${escape(ref.split('/')[4] ?? ref)}"])`;
  const name = ref.split('/')[1];
  return name === '*' ? `${id}(["other workloads"])` : `${id}["${escape(name)}"]`;
}

/**
 * Text inside a quoted Mermaid label. Mermaid reads `#name;` and `#123;` as entity codes, renders
 * labels as HTML (so `<b>` or `<img>` would be markup, and GitHub's sanitizer would eat it), ends
 * a quoted label at `"`, reads `` ` `` inside quotes as a Markdown string, and `|` closes an edge
 * label. Every one of them, `#` first, becomes an entity code; line breaks become spaces.
 */
export function escape(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/&/g, '#38;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/`/g, '#96;')
    .replace(/\|/g, '#124;')
    .replace(/[\r\n]+/g, ' ');
}

/** True when a diagram of this many edges and characters renders on GitHub. */
export function fitsMermaid(edges: number, text: string): boolean {
  return edges <= MERMAID_LIMITS.edges && text.length <= MERMAID_LIMITS.chars;
}
