// The analyzer: how Istio (sidecar mode) decides a request, from YAML alone. Pure, except for
// loadIstioDir, which reads a folder.
export { ANALYZED_KINDS, ConfigError, declaredBy, isDryRun, parseIstioConfig } from './config';
export type { IstioConfig, IstioObject, ParseCache, SourceFile } from './config';
export { loadIstioDir, readYamlFiles } from './load';
export { findWorkload, inferInventory, inventoryFromModel, mergeInventories, parseInventory } from './inventory';
export type { InferOptions, Inventory, InventoryPort, WorkloadInfo } from './inventory';
export type { Analysis } from './analysis';
export { analysisFromModel, configFromDocuments } from './from-model';
export { UnknownWorkloadError } from './request';
export type { AnalyzerRequest, ClientRef } from './request';
export { decide } from './decide';
export type { Connection, Decision, PolicyRef, PolicyTrace, PortDecision, RuleTrace, Verdict } from './decide';
export type { Tri } from './match';
export type { MtlsMode } from './peer-authentication';
export { GraphTooLargeError, reachability } from './reachability';
export type { Access, Grant, GraphNode, ReachabilityGraph, ReachabilityOptions, ReachabilitySelection, ReachEdge } from './reachability';
export { externalServices } from './external';
export type { ExternalClient, ExternalPort, ExternalService } from './external';
export { isEmptyDiff, semanticDiff } from './diff';
export type { EdgeChange, EnforcementChange, ExternalChange, ModeChange, SemanticDiff } from './diff';
export { renderReadiness, strictReadiness } from './readiness';
export type { BreakingClient, NamespaceReadiness, PlaintextException, ReadinessReport } from './readiness';
export type { Format } from './format';
export { renderExplain } from './render-explain';
export { renderGraph, renderGraphMermaid, renderGraphTable } from './render-graph';
export { renderDiff, summarizeDiff } from './render-diff';
