// `zero-trust import --dir <Istio YAML>`: TypeScript that declares the same access with the
// constructs. What maps one to one is written as constructs (namespaces, workloads, edges, plaintext
// ports, denied namespaces, external mutual-TLS services); what the constructs refuse on purpose, or
// cannot say, is never dropped silently: the code carries a comment where it would go, and the
// command lists it. The test proves the mapping with the semantic diff: no change in access.
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Inventory, IstioConfig, IstioObject, WorkloadInfo } from '../analyzer';
import { actionOf, list, targetRefsOf } from '../analyzer/authorization';
import { compare, isDryRun, objectId } from '../analyzer/config';
import { AUDIT_STAND_IN_ANNOTATION } from '../core/annotations';
import { checkMethod, checkPath } from '../core/values';
import { CliError } from './errors';
import { analysisOf, InputOptions, loadConfig, Note } from './inputs';

export interface ImportOptions {
  /** Where the generated code imports the constructs from. @default 'istio-zero-trust' */
  readonly library?: string;
  /** Name of the exported function that builds the app. @default 'buildImported' */
  readonly functionName?: string;
}

/** Something of the YAML the generated code does not declare, and why. */
export interface NotImported {
  /** "namespace/name" of the object, with the rule index when it is one rule. */
  readonly what: string;
  readonly why: string;
}

export interface ImportResult {
  readonly code: string;
  readonly notImported: readonly NotImported[];
}

const MODES = new Set(['STRICT', 'PERMISSIVE', 'DISABLE']);

/** Generates the TypeScript for a configuration and the workloads of its inventory. */
export function importIstio(config: IstioConfig, inventory: Inventory, options: ImportOptions = {}): ImportResult {
  if (!config || !Array.isArray(config.objects)) throw new TypeError('importIstio: config must be an IstioConfig (loadIstioDir gives one)');
  if (!inventory || !Array.isArray(inventory.workloads)) throw new TypeError('importIstio: inventory must be an Inventory');
  const library = options.library ?? 'istio-zero-trust';
  const fn = options.functionName ?? 'buildImported';
  const root = inventory.rootNamespace;
  const skipped: NotImported[] = [];
  const skip = (what: string, why: string) => skipped.push({ what, why });
  const out: string[] = [];
  // Edges come after every declaration: an edge may come from a workload of a namespace declared later.
  const edgesOut: string[] = [];
  const used = new Set<string>(['app', 'mesh']);
  const uses = new Set<string>(['MtlsMode', 'ZeroTrustMesh', 'ZeroTrustNamespace']);
  const variable = (base: string) => {
    let name = camel(base);
    if (RESERVED.has(name) || used.has(name)) name = `${name}Workload`;
    for (let i = 2; used.has(name); i++) name = `${camel(base)}${i}`;
    used.add(name);
    return name;
  };

  const byNamespace = new Map<string, IstioObject[]>();
  for (const obj of config.objects) {
    let objs = byNamespace.get(obj.namespace);
    if (!objs) byNamespace.set(obj.namespace, (objs = []));
    objs.push(obj);
  }
  const meshPa = (byNamespace.get(root) ?? []).find((o) => o.kind === 'PeerAuthentication' && !o.spec.selector);
  const meshMode = modeOf(meshPa) ?? 'PERMISSIVE';
  const anyAmbient = [...byNamespace.values()].flat().some((o) => o.kind === 'PeerAuthentication' && o.annotations['zero-trust.dev/dataplane'] === 'AMBIENT');
  for (const obj of byNamespace.get(root) ?? []) {
    if (obj === meshPa) continue;
    // The waypoints' mesh-wide allow-nothing, which the compiler writes again for ambient namespaces.
    if (anyAmbient && obj.kind === 'AuthorizationPolicy' && list(obj.spec.rules).length === 0 && targetRefsOf(obj).every((t) => t.kind === 'GatewayClass') && targetRefsOf(obj).length > 0) continue;
    skip(objectId(obj), 'a mesh-wide object other than the default PeerAuthentication: the constructs declare none');
  }
  out.push(`  const mesh = new ZeroTrustMesh(app, 'mesh', { trustDomain: ${q(inventory.trustDomain)}, rootNamespace: ${q(root)}, mtls: MtlsMode.${meshMode} });`);

  // Workload variables first: an edge may come from a workload of a namespace declared later.
  const namespaces = [...byNamespace.keys()].filter((ns) => ns !== root).sort(compare);
  // Ambient namespaces our compiler wrote say so on their PeerAuthentication; any other namespace
  // with waypoint policies (targetRefs) is not imported.
  const ours = new Set(namespaces.filter((ns) => (byNamespace.get(ns) ?? []).some((o) => o.kind === 'PeerAuthentication' && !o.spec.selector && o.annotations['zero-trust.dev/dataplane'] === 'AMBIENT')));
  const ambient = new Set(namespaces.filter((ns) => !ours.has(ns) && (byNamespace.get(ns) ?? []).some((o) => targetRefsOf(o).length > 0)));
  const waypointOf = (ns: string): string => {
    const closing = (byNamespace.get(ns) ?? []).find((o) => o.kind === 'AuthorizationPolicy' && list(o.spec.rules).length === 0 && targetRefsOf(o).length === 1 && targetRefsOf(o)[0].kind === 'Gateway');
    return closing ? targetRefsOf(closing)[0].name : 'waypoint';
  };
  const workloadVar = new Map<string, string>();
  const nsVar = new Map<string, string>();
  for (const ns of namespaces) {
    if (ambient.has(ns)) continue;
    nsVar.set(ns, variable(ns));
    for (const w of inventory.workloads.filter((x) => x.namespace === ns && x.name !== '*').sort((a, b) => compare(a.name, b.name))) workloadVar.set(`${ns}/${w.name}`, variable(w.name));
  }
  const workloadOf = (ns: string, labels: Record<string, string> | undefined): WorkloadInfo | undefined => {
    if (!labels) return undefined;
    const matching = inventory.workloads.filter((w) => w.namespace === ns && sameLabels(w.labels, labels));
    return matching.length === 1 ? matching[0] : undefined;
  };

  for (const ns of namespaces) {
    const objs = byNamespace.get(ns)!;
    if (ambient.has(ns)) {
      skip(`namespace ${ns}`, 'an ambient namespace (waypoint policies, targetRefs): this importer reads sidecar namespaces; declare it with dataplane: Dataplane.AMBIENT');
      out.push('', `  // NOT IMPORTED: namespace ${ns} is ambient (policies with targetRefs); declare it with dataplane: Dataplane.AMBIENT.`);
      continue;
    }
    const v = nsVar.get(ns)!;
    const pas = objs.filter((o) => o.kind === 'PeerAuthentication');
    const isAmbient = ours.has(ns);
    const waypoint = isAmbient ? waypointOf(ns) : undefined;
    const waypointPrincipal = waypoint ? `${inventory.trustDomain}/ns/${ns}/sa/${waypoint}` : undefined;
    // Ambient: the waypoint's own policies are written again by the compiler; the edges of an
    // L7-protected workload are read from its waypoint policy (bound to its Service).
    const waypointPolicies = isAmbient ? objs.filter((o) => o.kind === 'AuthorizationPolicy' && targetRefsOf(o).length === 1 && targetRefsOf(o)[0].kind === 'Service') : [];
    const aps = objs.filter((o) => o.kind === 'AuthorizationPolicy' && !(isAmbient && targetRefsOf(o).length > 0 && (waypointPolicies.includes(o) || targetRefsOf(o).every((t) => t.kind === 'Gateway' && t.name === waypoint))));
    const nsPa = pas.find((o) => !o.spec.selector);
    const mode = modeOf(nsPa) ?? meshMode;
    const allowNothing = aps.find((o) => actionOf(o) === 'ALLOW' && !o.spec.selector && list(o.spec.rules).length === 0 && targetRefsOf(o).length === 0);
    const allowPolicies = aps.filter((o) => o !== allowNothing && actionOf(o) === 'ALLOW');
    const dryRunAll = aps.length > 0 && aps.every(isDryRun);
    // Audit mode as our compiler writes it: an enforced stand-in (AUDIT_STAND_IN_ANNOTATION) and the
    // workload's whole declared policy in a dry-run `<workload>-audit`. Read back: the workload is
    // audited (stand-in "workload ..."), or the edges of -audit that the enforced policy lacks are.
    const standIns = dryRunAll ? [] : aps.filter((o) => o.annotations[AUDIT_STAND_IN_ANNOTATION] !== undefined && !isDryRun(o));
    const audit = new Map<WorkloadInfo, { workload: boolean; policy: IstioObject; enforced: Set<string> }>();
    for (const standIn of standIns) {
      const w = workloadOf(ns, standIn.spec.selector?.matchLabels);
      const policy = w && aps.find((o) => isDryRun(o) && o !== standIn && workloadOf(ns, o.spec.selector?.matchLabels) === w);
      if (!w || !policy) continue;
      const enforcedRules = aps.filter((o) => o !== standIn && o !== policy && !isDryRun(o) && workloadOf(ns, o.spec.selector?.matchLabels) === w)
        .flatMap((o) => list(o.spec.rules) as unknown[]).map((r) => JSON.stringify(r));
      audit.set(w, { workload: standIn.annotations[AUDIT_STAND_IN_ANNOTATION].startsWith('workload '), policy, enforced: new Set(enforcedRules) });
    }
    const auditPolicies = new Set([...audit.values()].map((a) => a.policy));
    const props: string[] = ['mesh', `mtls: MtlsMode.${mode}`];
    if (isAmbient) {
      props.push('dataplane: Dataplane.AMBIENT');
      uses.add('Dataplane');
      if (waypoint !== 'waypoint') {
        props.push(`waypoint: Waypoint.named(${q(waypoint!)})`);
        uses.add('Waypoint');
      }
    }
    const comments: string[] = [];
    let dryRun = false;
    if (!allowNothing && allowPolicies.length === 0) {
      // Open: the constructs close every namespace; in dry-run it stays open and logs what closing it would deny.
      dryRun = true;
      comments.push(`no AuthorizationPolicy closes namespace ${ns}: it is open. The constructs close every namespace; Enforcement.DRY_RUN keeps it open and logs what closing it would deny`);
      skip(`namespace ${ns}`, 'open (no allow-nothing policy): imported with Enforcement.DRY_RUN, which keeps it open but marks the access "dry-run only"');
    } else if (!allowNothing) {
      comments.push(`namespace ${ns} had no allow-nothing policy: workloads that no ALLOW policy selected were open. The constructs close them; declare their edges`);
      skip(`namespace ${ns}`, 'no allow-nothing policy: the workloads no ALLOW policy selects were open, and are closed by the constructs');
    } else if (dryRunAll) {
      dryRun = true;
    } else if (aps.some((o) => isDryRun(o) && !auditPolicies.has(o))) {
      for (const o of aps.filter((x) => isDryRun(x) && !auditPolicies.has(x))) skip(objectId(o), 'dry-run while other policies of the namespace are enforced: imported as enforced');
    }
    if (dryRun) {
      props.push('enforcement: Enforcement.DRY_RUN');
      uses.add('Enforcement');
    }
    const denied: string[] = [];
    for (const o of aps.filter((x) => actionOf(x) === 'DENY')) {
      const namespacesDenied = deniedNamespaces(o);
      if (namespacesDenied) denied.push(...namespacesDenied);
      else {
        skip(objectId(o), 'a DENY policy other than "deny these source namespaces": the constructs only declare denyFromNamespaces');
        comments.push(`NOT IMPORTED: DENY policy ${objectId(o)} ${JSON.stringify(o.spec)}`);
      }
    }
    if (denied.length > 0) props.push(`denyFromNamespaces: [${[...new Set(denied)].sort(compare).map(q).join(', ')}]`);
    for (const o of aps.filter((x) => !['ALLOW', 'DENY'].includes(actionOf(x)))) {
      skip(objectId(o), `action ${actionOf(o)}: the constructs declare ALLOW and DENY only`);
      comments.push(`NOT IMPORTED: ${actionOf(o)} policy ${objectId(o)}`);
    }
    // Identity rules and DENY by namespace toward a namespace that accepts plaintext: the constructs
    // refuse both (plaintext carries no identity) unless the namespace is dry-run or accepts it.
    // (Rules for clients without identity, notPrincipals: ["*"], are the plaintext ports: not identity rules.)
    const identityRules = allowPolicies.some((o) => (list(o.spec.rules) as any[]).some((r) => JSON.stringify(list(r?.from)[0]?.source?.notPrincipals) !== '["*"]'))
      || waypointPolicies.length > 0;
    const bypass = !dryRun && mode !== 'STRICT' && (denied.length > 0 || identityRules);
    if (bypass) {
      props.push('acceptPlaintextBypass: true');
      comments.push(`namespace ${ns} accepts plaintext (${mode}) and has identity rules${denied.length > 0 ? ' and a DENY by namespace, which plaintext bypasses' : ''}: ` +
        'the constructs refuse that unless accepted; acceptPlaintextBypass keeps what the YAML did');
      skip(`namespace ${ns}`, `${mode} with identity rules${denied.length > 0 ? ' and a DENY bypassable by plaintext' : ''}: imported with acceptPlaintextBypass: true, as it was`);
    }
    out.push('');
    for (const c of comments) out.push(`  // ${c}`);
    out.push(`  const ${v} = new ZeroTrustNamespace(app, ${q(ns)}, { ${props.join(', ')} });`);

    // Workloads, with their mTLS mode and plaintext ports.
    const plaintextRules = new Map<string, { policy: IstioObject; index: number }>();
    for (const w of inventory.workloads.filter((x) => x.namespace === ns && x.name !== '*').sort((a, b) => compare(a.name, b.name))) {
      const opts: string[] = [];
      if (audit.get(w)?.workload) {
        opts.push('enforcement: Enforcement.DRY_RUN');
        uses.add('Enforcement');
      }
      if (!sameLabels(w.labels, { app: w.name })) opts.push(`labels: ${JSON.stringify(w.labels)}`);
      if (w.serviceAccount !== w.name) opts.push(`serviceAccount: ${q(w.serviceAccount)}`);
      const pa = pas.find((o) => o !== nsPa && workloadOf(ns, o.spec.selector?.matchLabels) === w);
      const wcomments: string[] = [];
      if (pa) {
        const m = modeOf(pa);
        if (m && m !== mode) opts.push(`mtls: MtlsMode.${m}`);
        const levels = Object.entries((pa.spec.portLevelMtls ?? {}) as Record<string, { mode?: string }>);
        const candidates = plaintextRules_(allowPolicies, ns, w, workloadOf);
        const usedRules = new Set<PlaintextRule>();
        for (const [port, level] of levels) {
          if (level?.mode !== 'PERMISSIVE') {
            skip(`${objectId(pa)} port ${port}`, `port-level mode ${level?.mode}: the constructs only declare PERMISSIVE plaintext ports`);
            wcomments.push(`NOT IMPORTED: port ${port} mode ${level?.mode} (${objectId(pa)})`);
            continue;
          }
          const covering = candidates.filter((c) => c.ports.includes(Number(port)));
          if (covering.length === 0) {
            skip(`${objectId(pa)} port ${port}`, 'a plaintext exception (PERMISSIVE port) that no ALLOW rule opens: it admits nobody, a rule that never matches; the port stays STRICT');
            wcomments.push(`NOT IMPORTED: port ${port} PERMISSIVE in ${objectId(pa)} admits nobody (no ALLOW rule for plaintext clients on it); it stays STRICT`);
            continue;
          }
          for (const c of covering) usedRules.add(c);
        }
        // Rules without methods or paths and with the same source blocks are plaintextPorts (with
        // plaintextIpBlocks); any other one is a limited exception per port (plaintext: [...]).
        const rulesUsed = [...usedRules];
        for (const r of rulesUsed) plaintextRules.set(`${objectId(r.policy)}#${r.index}`, r);
        const unlimited = rulesUsed.filter((r) => !r.methods && !r.paths);
        const blockSets = new Set(unlimited.map((r) => JSON.stringify(r.blocks ?? [])));
        const asPorts = blockSets.size === 1 ? unlimited : [];
        const entries = rulesUsed.filter((r) => !asPorts.includes(r)).flatMap((r) => r.ports.map((port) => [
          `port: ${port}`, ...(r.methods ? [`methods: [${r.methods.map(q).join(', ')}]`] : []), ...(r.paths ? [`paths: [${r.paths.map(q).join(', ')}]`] : []),
          ...(r.blocks ? [`ipBlocks: [${r.blocks.map(q).join(', ')}]`] : []),
        ].join(', ')));
        const ports = [...new Set(asPorts.flatMap((r) => r.ports))].sort((a, b) => a - b);
        if (ports.length > 0) opts.push(`plaintextPorts: [${ports.join(', ')}]`);
        const blocks = asPorts[0]?.blocks;
        if (ports.length > 0 && blocks && blocks.length > 0) opts.push(`plaintextIpBlocks: [${blocks.map(q).join(', ')}]`);
        if (entries.length > 0) opts.push(`plaintext: [${entries.map((e) => `{ ${e} }`).join(', ')}]`);
      }
      for (const c of wcomments) out.push(`  // ${c}`);
      out.push(`  const ${workloadVar.get(`${ns}/${w.name}`)} = ${v}.addWorkload(${q(w.name)}${opts.length > 0 ? `, { ${opts.join(', ')} }` : ''});`);
    }
    for (const o of pas) {
      if (o !== nsPa && !workloadOf(ns, o.spec.selector?.matchLabels)) skip(objectId(o), 'its selector matches no single workload');
    }

    // Edges, one per (source, operation) of every rule.
    const edges = new Map<string, { dest: string; source: string; from: Source; limits: Limits }>();
    for (const policy of [...allowPolicies, ...waypointPolicies]) {
      const service = waypointPolicies.includes(policy) ? targetRefsOf(policy)[0].name : undefined;
      const target = service !== undefined
        ? inventory.workloads.find((w) => w.namespace === ns && w.name === service)
        : workloadOf(ns, policy.spec.selector?.matchLabels);
      if (!target || (service === undefined && targetRefsOf(policy).length > 0)) {
        skip(objectId(policy), 'an ALLOW policy that selects no single workload (or targets a waypoint): the constructs attach edges to a workload');
        edgesOut.push(`  // NOT IMPORTED: ALLOW policy ${objectId(policy)} selects no single workload`);
        continue;
      }
      const dest = workloadVar.get(`${ns}/${target.name}`)!;
      const audited = audit.get(target);
      // An audited workload's rules are all in its -audit policy; the others (enforced part, stand-in) are derived from it.
      if (audited && policy !== audited.policy) continue;
      list(policy.spec.rules).forEach((rule: any, index: number) => {
        if (plaintextRules.has(`${objectId(policy)}#${index}`)) return;
        // Ambient: ztunnel admits only the waypoint toward an L7-protected workload; the compiler writes that rule again.
        if (waypointPrincipal && !service && JSON.stringify(rule) === JSON.stringify({ from: [{ source: { principals: [waypointPrincipal] } }] })) return;
        const where = `${objectId(policy)} rule ${index}`;
        const why = unsupportedRule(rule);
        if (why) {
          skip(where, why);
          edgesOut.push(`  // NOT IMPORTED: ${where}: ${why}: ${JSON.stringify(rule)}`);
          return;
        }
        const auditedEdge = audited !== undefined && !audited.workload && !audited.enforced.has(JSON.stringify(rule));
        if (auditedEdge) uses.add('Enforcement');
        for (const source of sourcesOf(rule, inventory, workloadVar, nsVar, uses)) {
          for (const operation of operationsOf(rule)) {
            const limits = auditedEdge ? { ...operation, audit: true } : operation;
            edges.set(JSON.stringify([dest, source.expr, limits]), { dest, source: source.expr, from: source, limits });
          }
        }
      });
    }
    // An edge that an unlimited edge of the same workload covers (the same source, the whole
    // namespace of its source, or any identity) admits nothing more, rules being OR'ed; the
    // constructs refuse it as a dead rule. Leaving it out changes no access.
    const isUnlimited = (e: { limits: Limits }) => !e.limits.methods && !e.limits.paths && !e.limits.ports;
    const wide = [...edges.values()].filter(isUnlimited);
    const covered = (e: { dest: string; source: string; from: Source; limits: Limits }) => wide.some((w) => w !== e && w.dest === e.dest && (
      (w.source === e.source && !isUnlimited(e))
      || (w.from.kind === 'any' && e.from.kind !== 'any')
      || (w.from.kind === 'namespace' && e.from.kind === 'identity' && w.from.ns === e.from.ns)));
    for (const e of [...edges.values()].sort((a, b) => compare(a.dest, b.dest) || compare(a.source, b.source) || compare(JSON.stringify(a.limits), JSON.stringify(b.limits)))) {
      if (covered(e)) continue;
      const parts = [
        ...(e.limits.methods ? [`methods: [${e.limits.methods.map(q).join(', ')}]`] : []),
        ...(e.limits.paths ? [`paths: [${e.limits.paths.map(q).join(', ')}]`] : []),
        ...(e.limits.ports ? [`ports: [${e.limits.ports.join(', ')}]`] : []),
        ...(e.limits.audit ? ['enforcement: Enforcement.DRY_RUN'] : []),
      ];
      edgesOut.push(`  ${e.dest}.allowFrom(${e.source}${parts.length > 0 ? `, { ${parts.join(', ')} }` : ''});`);
    }
  }

  if (edgesOut.length > 0) out.push('', ...edgesOut);

  // External services: what our compiler writes for ExternalMtlsService (plain HTTP from the app,
  // mutual TLS originated by the client's sidecar). Anything else is listed.
  for (const obj of config.objects.filter((o) => o.kind === 'ServiceEntry' || o.kind === 'DestinationRule')) {
    if (ambient.has(obj.namespace) || obj.namespace === root) continue;
    if (obj.kind === 'DestinationRule' && isExternalClientRule(obj, config)) continue;
    if (obj.kind === 'ServiceEntry') {
      const service = externalService(obj, config, (labels) => workloadOf(obj.namespace, labels));
      if (service.ok) {
        uses.add('ExternalMtlsService');
        out.push('', `  new ExternalMtlsService(${nsVar.get(obj.namespace)}, ${q(obj.name)}, { ${service.props.replace(/CLIENTS/, service.clients.map((c) => workloadVar.get(`${obj.namespace}/${c}`)).join(', '))} });`);
        continue;
      }
      skip(objectId(obj), service.why);
      out.push('', `  // NOT IMPORTED: ServiceEntry ${objectId(obj)}: ${service.why}`);
      continue;
    }
    const tls = obj.spec.trafficPolicy?.tls?.mode;
    const why = tls === 'MUTUAL' || tls === 'SIMPLE'
      ? `tls ${tls} toward ${obj.spec.host}: the application already speaks TLS to it (TLS inside TLS), or it is not an ExternalMtlsService the constructs write`
      : 'a DestinationRule the constructs do not write (ClientTlsPolicy writes ISTIO_MUTUAL or DISABLE for a workload\'s Service)';
    skip(objectId(obj), why);
    out.push(`  // NOT IMPORTED: DestinationRule ${objectId(obj)}: ${why}`);
  }

  const header = [
    `// Generated by zero-trust import from Istio YAML. Every object it could not declare with the`,
    `// constructs is marked "NOT IMPORTED" or explained where it would go.`,
    `import { App } from 'cdk8s';`,
    `import { ${[...uses].sort(compare).join(', ')} } from ${q(library)};`,
    '',
    `export function ${fn}(app: App): App {`,
  ];
  // A namespace or workload nothing refers to is declared without a variable (noUnusedLocals).
  const body = out.map((line) => {
    const m = /^ {2}const ([A-Za-z_$][A-Za-z0-9_$]*) = /.exec(line);
    if (!m) return line;
    const name = new RegExp(`\\b${m[1].replace(/\$/g, '\\$')}\\b`);
    return out.some((other) => other !== line && !other.trimStart().startsWith('//') && name.test(other)) ? line : line.replace(m[0], '  ');
  });
  return { code: [...header, ...body, '  return app;', '}', ''].join('\n'), notImported: skipped.sort((a, b) => compare(a.what, b.what)) };
}

interface Limits { methods?: string[]; paths?: string[]; ports?: number[]; audit?: boolean }

function modeOf(pa: IstioObject | undefined): string | undefined {
  const mode = pa?.spec.mtls?.mode;
  return typeof mode === 'string' && MODES.has(mode) ? mode : undefined;
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** The namespaces a DENY policy denies, when that is all it does (one rule, one source, namespaces only). */
function deniedNamespaces(policy: IstioObject): string[] | undefined {
  const rules = list(policy.spec.rules);
  if (policy.spec.selector || targetRefsOf(policy).length > 0 || rules.length !== 1) return undefined;
  const [rule] = rules as any[];
  if (Object.keys(rule).some((k) => k !== 'from')) return undefined;
  const from = list(rule.from);
  if (from.length !== 1 || Object.keys(from[0]?.source ?? {}).join() !== 'namespaces') return undefined;
  const namespaces = list(from[0].source.namespaces);
  return namespaces.every((n: unknown) => typeof n === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n)) ? namespaces : undefined;
}

interface PlaintextRule { policy: IstioObject; index: number; ports: number[]; methods?: string[]; paths?: string[]; blocks?: string[] }

/**
 * The ALLOW rules of a workload that admit clients without a mesh identity (notPrincipals: ["*"],
 * optionally ipBlocks) on given ports, optionally limited to methods and paths: what plaintextPorts
 * and plaintext exceptions compile to.
 */
function plaintextRules_(policies: readonly IstioObject[], ns: string, w: WorkloadInfo, workloadOf: (ns: string, labels: any) => WorkloadInfo | undefined): PlaintextRule[] {
  const out: PlaintextRule[] = [];
  for (const policy of policies) {
    if (workloadOf(ns, policy.spec.selector?.matchLabels) !== w) continue;
    (list(policy.spec.rules) as any[]).forEach((rule, index) => {
      const source = list(rule.from)[0]?.source ?? {};
      const to = list(rule.to);
      const op = to[0]?.operation ?? {};
      if (list(rule.from).length !== 1 || to.length !== 1 || rule.when) return;
      if (JSON.stringify(source.notPrincipals) !== '["*"]' || Object.keys(source).some((k) => k !== 'notPrincipals' && k !== 'ipBlocks')) return;
      if (Object.keys(op).some((k) => !['ports', 'methods', 'paths'].includes(k)) || !Array.isArray(op.ports) || !op.ports.every((p: unknown) => /^\d+$/.test(String(p)))) return;
      if (unsupportedRule({ from: [{ source: { namespaces: ['x'] } }], to: [{ operation: op }] })) return; // a method or path that never matches
      out.push({
        policy, index, ports: op.ports.map(Number),
        ...(op.methods ? { methods: op.methods } : {}), ...(op.paths ? { paths: op.paths } : {}), ...(source.ipBlocks ? { blocks: source.ipBlocks } : {}),
      });
    });
  }
  return out;
}

const SOURCE_FIELDS = new Set(['principals', 'namespaces']);
const OPERATION_FIELDS = new Set(['methods', 'paths', 'ports']);

/** Why a rule cannot be one or more edges, or undefined when it can. */
function unsupportedRule(rule: any): string | undefined {
  if (!rule || typeof rule !== 'object') return 'not a rule';
  if (rule.when) return 'conditions (when): the constructs declare sources, methods, paths and ports only';
  const from = list(rule.from);
  if (from.length === 0) return 'no source: it admits every caller, plaintext included; the constructs never open a workload to anyone';
  for (const f of from as any[]) {
    const fields = Object.keys(f?.source ?? {});
    if (fields.length !== 1 || !SOURCE_FIELDS.has(fields[0])) return `source fields ${fields.join(', ') || '(none)'}: the constructs declare one principal or one namespace per edge`;
    for (const value of list(f.source[fields[0]]) as unknown[]) {
      if (typeof value !== 'string') return 'a source value that is not a string';
      if (fields[0] === 'principals' && value !== '*' && !/^[^/*]+\/ns\/[a-z0-9-]+\/sa\/[^/*]+$/.test(value)) return `principal "${value}": the constructs declare "*" or <td>/ns/<ns>/sa/<sa>`;
      if (fields[0] === 'namespaces' && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) return `namespace "${value}": the constructs declare exact namespaces`;
    }
  }
  for (const t of list(rule.to) as any[]) {
    const op = t?.operation ?? {};
    const fields = Object.keys(op);
    const other = fields.find((f) => !OPERATION_FIELDS.has(f));
    if (other) return `operation field ${other}: the constructs declare methods, paths and ports`;
    for (const m of list(op.methods) as string[]) {
      const problem = checkMethod(m);
      if (problem) return `a rule that never matches: ${problem}`;
    }
    for (const p of list(op.paths) as string[]) {
      const problem = checkPath(p);
      if (problem) return `a rule that never matches: ${problem}`;
    }
    for (const p of list(op.ports) as string[]) if (!/^\d+$/.test(String(p)) || Number(p) < 1 || Number(p) > 65535) return `port "${p}" is not a port`;
  }
  return undefined;
}

/** A source as code, with what it covers: any identity, a whole namespace, or one identity of a namespace. */
interface Source { expr: string; kind: 'any' | 'namespace' | 'identity'; ns?: string }

function sourcesOf(rule: any, inventory: Inventory, workloadVar: ReadonlyMap<string, string>, nsVar: ReadonlyMap<string, string>, uses: Set<string>): Source[] {
  const out: Source[] = [];
  for (const f of list(rule.from) as any[]) {
    const [field] = Object.keys(f.source);
    for (const value of list(f.source[field]) as string[]) {
      if (field === 'namespaces') {
        const v = nsVar.get(value);
        if (!v) uses.add('Peer');
        out.push({ expr: v ?? `Peer.namespace(${q(value)})`, kind: 'namespace', ns: value });
      } else if (value === '*') {
        uses.add('Peer');
        out.push({ expr: 'Peer.anyAuthenticated()', kind: 'any' });
      } else {
        const [td, , ns, , sa] = value.split('/');
        const local = td === inventory.trustDomain || td === 'cluster.local';
        const w = local ? inventory.workloads.filter((x) => x.namespace === ns && x.serviceAccount === sa && x.name !== '*') : [];
        const v = w.length === 1 ? workloadVar.get(`${ns}/${w[0].name}`) : undefined;
        if (v && td === inventory.trustDomain) out.push({ expr: v, kind: 'identity', ns });
        else {
          uses.add('Peer');
          out.push({ expr: `Peer.serviceAccount(${q(ns)}, ${q(sa)}${td !== inventory.trustDomain ? `, { trustDomain: ${q(td)} }` : ''})`, kind: 'identity', ns });
        }
      }
    }
  }
  return out;
}

function operationsOf(rule: any): Limits[] {
  const to = list(rule.to) as any[];
  if (to.length === 0) return [{}];
  return to.map((t) => {
    const op = t.operation ?? {};
    return {
      ...(op.methods ? { methods: [...new Set<string>(op.methods)].sort(compare) } : {}),
      ...(op.paths ? { paths: [...new Set<string>(op.paths)].sort(compare) } : {}),
      ...(op.ports ? { ports: [...new Set<number>(op.ports.map(Number))].sort((a, b) => a - b) } : {}),
    };
  });
}

/** A DestinationRule our compiler writes for an ExternalMtlsService client (checked with its ServiceEntry). */
function isExternalClientRule(dr: IstioObject, config: IstioConfig): boolean {
  const se = config.objects.find((o) => o.kind === 'ServiceEntry' && o.namespace === dr.namespace && list(o.spec.hosts).includes(dr.spec.host));
  return se !== undefined && dr.spec.workloadSelector !== undefined && externalShape(se) !== undefined && list(dr.spec.trafficPolicy?.portLevelSettings).length === 1;
}

function externalShape(se: IstioObject): { host: string; appPort: number; port: number } | undefined {
  const hosts = list(se.spec.hosts);
  const ports = list(se.spec.ports) as any[];
  if (hosts.length !== 1 || ports.length !== 1 || se.spec.location !== 'MESH_EXTERNAL' || se.spec.resolution !== 'DNS') return undefined;
  if (String(ports[0].protocol).toUpperCase() !== 'HTTP') return undefined;
  return { host: hosts[0], appPort: ports[0].number, port: ports[0].targetPort ?? ports[0].number };
}

function externalService(se: IstioObject, config: IstioConfig, workloadOf: (labels: any) => WorkloadInfo | undefined):
  { ok: true; props: string; clients: string[] } | { ok: false; why: string } {
  const shape = externalShape(se);
  if (!shape) {
    const ports = list(se.spec.ports) as any[];
    const tlsInTls = ports.some((p) => ['HTTPS', 'TLS'].includes(String(p.protocol).toUpperCase()))
      && config.objects.some((o) => o.kind === 'DestinationRule' && list(se.spec.hosts).includes(o.spec.host) && ['MUTUAL', 'SIMPLE'].includes(o.spec.trafficPolicy?.tls?.mode ?? o.spec.trafficPolicy?.portLevelSettings?.[0]?.tls?.mode));
    return { ok: false, why: tlsInTls
      ? 'TLS inside TLS: the port is HTTPS/TLS, so the application already encrypts, and a DestinationRule originates TLS again; ExternalMtlsService refuses it on purpose (the app should speak HTTP, the sidecar originates mutual TLS)'
      : 'not the shape ExternalMtlsService writes (one host, one HTTP port, MESH_EXTERNAL, DNS)' };
  }
  const rules = config.objects.filter((o) => o.kind === 'DestinationRule' && o.namespace === se.namespace && o.spec.host === shape.host && o.spec.workloadSelector);
  const clients: string[] = [];
  let tls: any;
  for (const dr of rules) {
    const w = workloadOf(dr.spec.workloadSelector.matchLabels);
    const setting = list(dr.spec.trafficPolicy?.portLevelSettings)[0] as any;
    if (!w || setting?.port?.number !== shape.appPort || setting?.tls?.mode !== 'MUTUAL') return { ok: false, why: `DestinationRule ${objectId(dr)} is not the client rule ExternalMtlsService writes` };
    if (tls && JSON.stringify(tls) !== JSON.stringify(setting.tls)) return { ok: false, why: 'its clients originate TLS differently' };
    tls = setting.tls;
    clients.push(w.name);
  }
  if (clients.length === 0) return { ok: false, why: 'no client originates mutual TLS toward it' };
  const props = [
    `host: ${q(shape.host)}`, `port: ${shape.port}`, `appPort: ${shape.appPort}`, 'clients: [CLIENTS]',
    ...(tls.credentialName ? [`credentialName: ${q(tls.credentialName)}`] : [
      ...(tls.clientCertificate ? [`clientCertificate: ${q(tls.clientCertificate)}`] : []),
      ...(tls.privateKey ? [`privateKey: ${q(tls.privateKey)}`] : []),
      ...(tls.caCertificates ? [`caCertificates: ${q(tls.caCertificates)}`] : []),
    ]),
    ...(tls.sni && tls.sni !== shape.host ? [`sni: ${q(tls.sni)}`] : []),
    ...(tls.subjectAltNames && JSON.stringify(tls.subjectAltNames) !== JSON.stringify([shape.host]) ? [`subjectAltNames: [${tls.subjectAltNames.map(q).join(', ')}]`] : []),
  ];
  return { ok: true, props: props.join(', '), clients: clients.sort(compare) };
}

function camel(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase())).join('');
  return /^[0-9]/.test(joined) || joined === '' ? `w${joined}` : joined;
}

const RESERVED = new Set(['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'let', 'static', 'yield', 'await', 'interface', 'package', 'private', 'protected', 'public', 'implements', 'Peer', 'App', 'Enforcement', 'MtlsMode']);

function q(text: string): string {
  return `'${String(text).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export interface ImportContext {
  readonly io: { readonly stdout: (text: string) => void; readonly stderr: (text: string) => void };
  readonly inputs: (cmd: Command) => Command;
  readonly note: (options: any) => Note;
}

export function registerImport(program: Command, { io, inputs, note }: ImportContext): void {
  inputs(program.command('import')
    .description('TypeScript that declares the access of a folder of Istio YAML with the constructs; lists what it could not declare')
    .option('--out <file>', 'write the TypeScript to this file (default: stdout)')
    .option('--library <module>', 'where the code imports the constructs from', 'istio-zero-trust')
    .option('--function <name>', 'name of the exported function that builds the app', 'buildImported'))
    .action((options: InputOptions & { quiet?: boolean; out?: string; library: string; function: string }) => {
      if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(options.function)) throw new CliError(`--function ${options.function} is not a JavaScript identifier`);
      const config = loadConfig(options.dir, note(options));
      const analysis = analysisOf(config, options, note(options));
      const result = importIstio(config, analysis.inventory, { library: options.library, functionName: options.function });
      const report = result.notImported.length === 0 ? 'imported everything\n'
        : `not imported as it was (${result.notImported.length}):\n${result.notImported.map((n) => `  ${n.what}: ${n.why}`).join('\n')}\n`;
      if (options.out) {
        writeFileSync(options.out, result.code);
        io.stdout(`wrote ${options.out}\n${report}`);
      } else {
        io.stdout(result.code);
        io.stderr(report);
      }
    });
}
