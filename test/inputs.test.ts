// Every public entry point checks its arguments at run time: callers that do not type-check
// (`ts-node --swc`, JavaScript, values read from files) get a one-line message naming the construct
// path (or the factory), the bad value and the fix, never a TypeError and never a silently wider
// policy.
import { App, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import {
  AllowEdge, ClientTlsPolicy, ExternalMtlsService, IPeer, Peer, Waypoint, Workload, WorkloadPort, ZeroTrustMesh, ZeroTrustNamespace,
} from '../lib';
import { meshAndNamespace } from './helpers';

/** Builds inside a fresh app; the error must come from the call itself. */
const build = (fn: (app: App) => void) => () => fn(Testing.app());
/** Anything, as a JavaScript caller could pass it. */
const js = (value: unknown): any => value;

describe('unknown option keys are refused with the nearest valid name', () => {
  it('allowFrom: "method" and "path" would drop the limit and allow every method or path', () => {
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api').allowFrom(ns.addWorkload('web'), js({ method: ['GET'] }));
    })).toThrow(/^\[shop\/api\] allowFrom: unknown option "method"; did you mean "methods"\?$/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api').allowFrom(ns.addWorkload('web'), js({ path: ['/a'] }));
    })).toThrow(/^\[shop\/api\] allowFrom: unknown option "path"; did you mean "paths"\?$/);
  });
  it('allowTo and AllowEdge', () => {
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('web').allowTo(ns.addWorkload('api'), js({ Ports: [8080] }));
    })).toThrow(/^\[shop\/api\] allowFrom: unknown option "Ports"; did you mean "ports"\?/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new AllowEdge(ns, 'web-to-api', js({ from: ns.addWorkload('web'), to: ns.addWorkload('api'), method: ['GET'] }));
    })).toThrow(/^\[shop\/web-to-api\] unknown option "method"; did you mean "methods"\?$/);
  });
  it('lists the options when nothing is close', () => {
    expect(build((app) => new ZeroTrustMesh(app, 'mesh', js({ colour: 'blue' }))))
      .toThrow(/^\[mesh\] unknown option "colour"; the options are "trustDomain", "rootNamespace", "mtls", "clusterDomain", "dataplane"$/);
  });
  it('every construct and factory', () => {
    expect(build((app) => new ZeroTrustMesh(app, 'mesh', js({ trustdomain: 'x' })))).toThrow(/\[mesh\] unknown option "trustdomain"; did you mean "trustDomain"\?/);
    expect(build((app) => meshAndNamespace(app, js({ denyFromNamespace: ['dev'] })))).toThrow(/\[shop\] unknown option "denyFromNamespace"; did you mean "denyFromNamespaces"\?/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', js({ plaintextPort: [9090] })))).toThrow(/\[shop\/api\] unknown option "plaintextPort"; did you mean "plaintextPorts"\?/);
    expect(() => Workload.fromAttributes(js({ namespace: 'a', name: 'b', serviceAcount: 'c' }))).toThrow(/^\[Workload\.fromAttributes\] unknown option "serviceAcount"; did you mean "serviceAccount"\?/);
    expect(() => Peer.serviceAccount('a', 'b', js({ trustDomian: 'x' }))).toThrow(/^\[Peer\.serviceAccount\] unknown option "trustDomian"; did you mean "trustDomain"\?/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new ExternalMtlsService(ns, 'ext', js({ host: 'api.example.com', clients: [ns.addWorkload('api')], credentialname: 'x' }));
    })).toThrow(/\[shop\/ext\] unknown option "credentialname"; did you mean "credentialName"\?/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new ClientTlsPolicy(ns, 'tls', js({ workload: ns.addWorkload('api'), mode: 'DISABLE', servce: 'x' }));
    })).toThrow(/\[shop\/tls\] unknown option "servce"; did you mean "service"\?/);
  });
});

describe('wrong types are refused with the expected type; a string is never a list', () => {
  it('denyFromNamespaces: "dev" would deny the namespaces "d", "e" and "v"', () => {
    expect(build((app) => meshAndNamespace(app, js({ denyFromNamespaces: 'dev' }))))
      .toThrow(/^\[shop\] denyFromNamespaces must be a list, got the string "dev"; write \["dev"\]$/);
  });
  it('plaintextPorts: 9090, paths: "/x", ports: [8080], ports: [null]', () => {
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', js({ plaintextPorts: 9090 })))).toThrow(/^\[shop\/api\] plaintextPorts must be a list, got 9090; write \[9090\]$/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api').allowFrom(ns.addWorkload('web'), js({ paths: '/x' }));
    })).toThrow(/^\[shop\/api\] allowFrom: paths must be a list, got the string "\/x"; write \["\/x"\]$/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', js({ ports: [8080] })))).toThrow(/^\[shop\/api\] ports\[0\] must be a WorkloadPort \(WorkloadPort\.http\(8080\).*got 8080$/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', js({ ports: [null] })))).toThrow(/\[shop\/api\] ports\[0\] must be a WorkloadPort .*got null$/);
  });
  it('labels, booleans, enums', () => {
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', js({ labels: { app: 5 } })))).toThrow(/\[shop\/api\] labels\.app must be a string, got 5/);
    expect(build((app) => meshAndNamespace(app, js({ acceptPlaintextBypass: 'yes' })))).toThrow(/\[shop\] acceptPlaintextBypass must be true or false, got the string "yes"/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', js({ mtls: 'strict' })))).toThrow(/\[shop\/api\] mtls "strict" is not an MtlsMode: use MtlsMode\.STRICT, MtlsMode\.PERMISSIVE, MtlsMode\.DISABLE/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new ClientTlsPolicy(ns, 'tls', js({ workload: ns.addWorkload('api'), mode: 'OFF' }));
    })).toThrow(/\[shop\/tls\] mode "OFF" is not a ClientTlsMode/);
  });
  it('positional arguments of factories and verbs', () => {
    expect(() => Peer.namespace(js(['dev']))).toThrow(/^\[Peer\.namespace\] namespace must be a string, got a list of 1/);
    expect(() => Peer.serviceAccount(js(5), 'sa')).toThrow(/^\[Peer\.serviceAccount\] namespace must be a string, got 5/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload(js(7)))).toThrow(/^\[shop\] addWorkload: name must be a string, got 7/);
    expect(() => WorkloadPort.http(js('8080'))).toThrow(/^\[WorkloadPort\.http\] port "8080" is not a port/);
    expect(() => Waypoint.named(js(null))).toThrow(/^\[Waypoint\.named\] name must be a string, got null$/);
    expect(() => Waypoint.named('Way Point')).toThrow(/^\[Waypoint\.named\] waypoint name "Way Point" is not a valid DNS-1123 label/);
  });
});

describe('null, NaN and Infinity', () => {
  it('null props and options are refused, not read', () => {
    expect(build((app) => new ZeroTrustNamespace(app, 'shop', js(null)))).toThrow(/^\[shop\] props must be an object, got null$/);
    expect(build((app) => new ZeroTrustMesh(app, 'mesh', js(null)))).toThrow(/^\[mesh\] props must be an object, got null; omit it or pass \{\}$/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', js(null)))).toThrow(/^\[shop\/api\] options must be an object, got null; omit it or pass \{\}$/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api').allowFrom(ns.addWorkload('web'), js(null));
    })).toThrow(/^\[shop\/api\] allowFrom: options must be an object, got null; omit it or pass \{\}$/);
    expect(() => Workload.fromAttributes(js(null))).toThrow(/^\[Workload\.fromAttributes\] attributes must be an object, got null$/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', js({ serviceAccount: null })))).toThrow(/\[shop\/api\] serviceAccount must be a string, got null; omit it to use the default/);
  });
  it('clients: [null]', () => {
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new ExternalMtlsService(ns, 'ext', js({ host: 'api.example.com', clients: [null], credentialName: 'x' }));
    })).toThrow(/^\[shop\/ext\] clients\[0\] must be a workload made by namespace\.addWorkload\(\.\.\.\) or Workload\.fromAttributes\(\.\.\.\), got null$/);
  });
  it('NaN and Infinity are named as such, never printed as null', () => {
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api').allowFrom(ns.addWorkload('web'), { ports: [NaN] });
    })).toThrow(/\[shop\/api\] allowFrom: ports\[0\] must be a finite number, got NaN/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', { plaintextPorts: [Infinity] }))).toThrow(/plaintextPorts\[0\] must be a finite number, got Infinity/);
    expect(() => WorkloadPort.tcp(NaN)).toThrow(/^\[WorkloadPort\.tcp\] port NaN is not a port/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new ExternalMtlsService(ns, 'ext', { host: 'api.example.com', port: -Infinity, clients: [ns.addWorkload('api')], credentialName: 'x' });
    })).toThrow(/\[shop\/ext\] port must be a finite number, got -Infinity/);
  });
});

describe('references are objects made by this library', () => {
  it('a hand-made peer is refused: its _toSource() could emit anything', () => {
    const forged: IPeer = { peerName: 'x', _toSource: () => 'everyone' as any };
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api').allowFrom(forged)))
      .toThrow(/^\[shop\/api\] allowFrom: the peer must be a workload, a ZeroTrustNamespace or a Peer made by this library .*got an object \{"peerName":"x"\}$/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new AllowEdge(ns, 'edge', { from: forged, to: ns.addWorkload('api') });
    })).toThrow(/^\[shop\/edge\] from must be a workload, a ZeroTrustNamespace or a Peer/);
  });
  it('a wrong `to` names the value instead of printing undefined/undefined', () => {
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new AllowEdge(ns, 'edge', js({ from: ns.addWorkload('web'), to: { name: 'api' } }));
    })).toThrow(/^\[shop\/edge\] to must be a workload made by namespace\.addWorkload\(\.\.\.\) or Workload\.fromAttributes\(\.\.\.\), got an object \{"name":"api"\}$/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('web').allowTo(js('api')))).toThrow(/^\[shop\/web\] allowTo: destination must be a workload .*got "api"$/);
  });
  it('a scope that is not a construct and an id that is not a string', () => {
    expect(() => new ZeroTrustMesh(js(undefined), 'mesh')).toThrow(/^\[ZeroTrustMesh\] scope must be a construct/);
    expect(build((app) => new ZeroTrustMesh(app, js(42)))).toThrow(/^\[ZeroTrustMesh\] id must be a non-empty string, got 42$/);
  });
});
