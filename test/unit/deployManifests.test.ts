// deploy/ checked without a cluster: every YAML document under it, and every resource kustomize
// builds from deploy/base and deploy/overlays/local, against the schemas the kubernetes-models
// packages generate from upstream (Kubernetes' OpenAPI; the Strimzi, KEDA and prometheus-operator
// CRDs); then what no schema can see: topics against the event catalog, KEDA's bounds against the
// partitions, probes and users, references between resources, the connector against the CLI.
// The generated validators accept fields their schemas do not name (as the upstream schemas do), so
// the same packages' generated TypeScript types check each resource once more: an unknown field
// (a typo) is an excess property there. kustomize is a Go program, so `build` below implements the part of it deploy/ uses and refuses
// every other kustomization field: a feature it does not know cannot slip past validation.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import ts from 'typescript';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { ConfigMap, Namespace, Secret, Service, type IService } from 'kubernetes-models/v1';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { Job, type IJob } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Kafka, KafkaConnect, KafkaConnector, KafkaNodePool, KafkaTopic, type IKafkaConnect, type IKafkaTopic } from '@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1';
import { ScaledObject, type IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ServiceMonitor, type IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { loadConfig, type Config } from '../../lib/config.ts';
import { declaredSources } from '../../connectors/sourceConnector.ts';
import { parseEnvFile, renderConnector } from '../../connectors/connectorRender.ts';
import { readStackVersions } from '../../infra/local/stackVersions.ts';
import { consumerGroupOf, dlqTopicOf, type ProjectionDefinition } from '../../projectors/projection.ts';
import { allProjections } from '../../read-models/registry.ts';
import { AGGREGATE_TYPES, eventCatalog, topicOf } from '../../schemas/eventCatalog.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const deployDir = path.join(repoRoot, 'deploy');

interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

// ---- kustomize, the subset deploy/ uses -------------------------------------------------------

const KUSTOMIZATION_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'configMapGenerator', 'generatorOptions', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace']);

function loadDocuments(file: string): Resource[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((doc, i) => {
    if (doc.errors.length) throw new Error(`${file} document ${i + 1}: ${doc.errors[0]!.message}`);
    return doc.toJS() as Resource;
  });
}

type PatchOperation = { op: 'add' | 'replace' | 'remove'; path: string; value?: unknown };

/** RFC 6902 add/replace/remove, failing where kustomize fails: replace and remove need the path to exist. */
function applyOperation(target: Resource, { op, path: pointer, value }: PatchOperation): void {
  if (!['add', 'replace', 'remove'].includes(op)) throw new Error(`patch op ${op} is not supported here`);
  const keys = pointer.split('/').slice(1).map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
  const last = keys.pop()!;
  let parent: unknown = target;
  for (const key of keys) {
    parent = (parent as Record<string, unknown> | undefined)?.[key];
    if (parent === undefined) throw new Error(`${op} ${pointer}: ${key} does not exist`);
  }
  const container = parent as Record<string, unknown> & unknown[];
  if (Array.isArray(container) && op === 'add') container.splice(last === '-' ? container.length : Number(last), 0, value);
  else if (op !== 'add' && !(last in container)) throw new Error(`${op} ${pointer}: ${last} does not exist`);
  else if (op === 'remove') Array.isArray(container) ? container.splice(Number(last), 1) : delete container[last];
  else container[last] = value;
}

function build(dir: string): Resource[] {
  const kustomization = parseYaml(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Record<string, unknown>;
  const unknown = Object.keys(kustomization).filter((field) => !KUSTOMIZATION_FIELDS.has(field));
  if (unknown.length) throw new Error(`${dir}/kustomization.yaml: ${unknown.join(', ')} not implemented by this test's builder`);
  const resources = ((kustomization.resources ?? []) as string[]).flatMap((entry) => {
    const target = path.join(dir, entry);
    return fs.statSync(target).isDirectory() ? build(target) : loadDocuments(target);
  });
  const options = (kustomization.generatorOptions ?? {}) as Record<string, unknown>;
  for (const generator of (kustomization.configMapGenerator ?? []) as { name: string; envs: string[] }[]) {
    // Without the hash suffix there is no name to compute and no reference to rewrite.
    if (options.disableNameSuffixHash !== true || Object.keys(options).length !== 1) throw new Error('configMapGenerator needs generatorOptions {disableNameSuffixHash: true} here');
    if (Object.keys(generator).some((k) => k !== 'name' && k !== 'envs')) throw new Error(`configMapGenerator ${generator.name}: only name and envs are implemented`);
    const data = Object.assign({}, ...generator.envs.map((file) => parseEnvFile(fs.readFileSync(path.join(dir, file), 'utf8')))) as Record<string, string>;
    resources.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data });
  }
  for (const { target, patch, ...rest } of (kustomization.patches ?? []) as { target: { kind: string; name?: string }; patch: string }[]) {
    if (Object.keys(rest).length || Object.keys(target).some((k) => k !== 'kind' && k !== 'name')) throw new Error(`${dir}: only patches with target {kind, name} and an inline patch are implemented`);
    const operations = parseYaml(patch) as PatchOperation[];
    if (!Array.isArray(operations)) throw new Error(`${dir}: only JSON 6902 patches are implemented, not strategic merge`);
    const name = new RegExp(`^(?:${target.name ?? '.*'})$`);
    const matched = resources.filter((r) => r.kind === target.kind && name.test(r.metadata.name ?? ''));
    if (!matched.length) throw new Error(`${dir}: the patch for ${target.kind} ${target.name ?? '*'} matches nothing`);
    for (const resource of matched) for (const operation of operations) applyOperation(resource, operation);
  }
  if (typeof kustomization.namespace === 'string') {
    for (const r of resources) if (!CLUSTER_SCOPED.has(r.kind)) r.metadata.namespace = kustomization.namespace;
  }
  const ids = resources.map((r) => `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new Error(`${dir}: ${repeated} is declared twice`);
  return resources;
}

// ---- schemas ---------------------------------------------------------------------------------

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data: never): { validate(): void };
}

const MODELS: ModelClass[] = [ConfigMap, Namespace, Secret, Service, Deployment, Job, PodDisruptionBudget, Kafka, KafkaNodePool, KafkaTopic, KafkaConnect, KafkaConnector, ScaledObject, ServiceMonitor];

/**
 * Maven Central has no Apicurio Registry operator artifact that carries its CRD (see deploy/README.md),
 * so ApicurioRegistry3 is held to the fields deploy/ uses, as the 3.3 operator's model names them:
 * an unknown or mistyped field fails.
 */
type Shape = 'string' | readonly string[] | { readonly [field: string]: Shape } | readonly [Shape, 'list'];
const apicurioRegistry3: Shape = {
  apiVersion: ['registry.apicur.io/v1'],
  kind: ['ApicurioRegistry3'],
  metadata: { name: 'string', namespace: 'string', labels: {}, annotations: {} },
  spec: {
    app: {
      storage: { type: ['postgresql'], sql: { dataSource: { url: 'string', username: 'string', password: { name: 'string', key: 'string' } } } },
      env: [{ name: 'string', value: 'string' }, 'list'],
    },
  },
};

function shapeErrors(value: unknown, shape: Shape, at: string): string[] {
  if (shape === 'string') return typeof value === 'string' ? [] : [`${at} must be a string`];
  if (Array.isArray(shape) && shape[1] === 'list') {
    return Array.isArray(value) ? value.flatMap((item, i) => shapeErrors(item, shape[0] as Shape, `${at}/${i}`)) : [`${at} must be a list`];
  }
  if (Array.isArray(shape)) return shape.includes(value as string) ? [] : [`${at} must be one of ${shape.join(', ')}`];
  if (!value || typeof value !== 'object') return [`${at} must be an object`];
  const fields = shape as Record<string, Shape>;
  if (!Object.keys(fields).length) return []; // labels, annotations: any keys
  return Object.entries(value).flatMap(([key, inner]) => (key in fields ? shapeErrors(inner, fields[key]!, `${at}/${key}`) : [`${at}/${key} is not a known field`]));
}

/** Throws naming the first schema violation; an unknown kind is an error, never a skip. */
function validate(resource: Resource): void {
  if (resource.apiVersion === 'registry.apicur.io/v1' && resource.kind === 'ApicurioRegistry3') {
    const errors = shapeErrors(resource, apicurioRegistry3, '');
    if (errors.length) throw new Error(errors.join('; '));
    return;
  }
  const Model = MODELS.find((m) => m.apiVersion === resource.apiVersion && m.kind === resource.kind);
  if (!Model) throw new Error(`no schema for ${resource.apiVersion} ${resource.kind}`);
  new Model(structuredClone(resource) as never).validate();
}

/** The packages whose generated types (`I<Kind>`) describe each API version of MODELS. */
const TYPES_MODULE: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'kafka.strimzi.io/v1': '@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

/**
 * Type-checks every resource as an object literal of its kind's generated interface, in one
 * in-memory program, and returns each one's diagnostics (excess properties, wrong types).
 */
function typeErrors(resources: Resource[]): string[][] {
  const typed = resources.map((r, i) => ({ r, i })).filter(({ r }) => MODELS.some((m) => m.apiVersion === r.apiVersion && m.kind === r.kind));
  const imports = typed.map(({ r, i }) => `import type { I${r.kind} as T${i} } from '${TYPES_MODULE[r.apiVersion]}';`);
  const declarations = typed.map(({ r, i }) => `export const r${i}: T${i} = ${JSON.stringify(r)};`);
  const text = [...imports, ...declarations].join('\n');
  // Inside the repository, so the packages resolve from its node_modules; never written to disk.
  const file = path.join(repoRoot, 'test', 'unit', 'deployManifests.types.ts');
  const options: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) => (name === file ? ts.createSourceFile(name, text, language) : getSourceFile.call(host, name, language, ...rest));
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? text : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  const errors: string[][] = resources.map(() => []);
  for (const diagnostic of program.getSemanticDiagnostics(program.getSourceFile(file))) {
    const line = text.slice(0, diagnostic.start).split('\n').length - 1;
    const owner = typed[line - imports.length];
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (owner) errors[owner.i]!.push(message);
    else throw new Error(`the generated type check failed to compile: ${message}`);
  }
  return errors;
}

// ---- the checks ------------------------------------------------------------------------------

const yamlFiles = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : e.name.endsWith('.yaml') ? [path.join(dir, e.name)] : []));

const builds = { base: build(path.join(deployDir, 'base')), local: build(path.join(deployDir, 'overlays', 'local')) };
const jobs = fs.readdirSync(path.join(deployDir, 'jobs')).flatMap((f) => loadDocuments(path.join(deployDir, 'jobs', f)));
const files = yamlFiles(deployDir).filter((f) => path.basename(f) !== 'kustomization.yaml').map((file) => ({ file, resources: loadDocuments(file) }));
const everything = [...files.flatMap((f) => f.resources), ...builds.base, ...builds.local];
const typeErrorsOf = new Map(typeErrors(everything).map((errors, i) => [everything[i]!, errors]));
const label = (r: Resource) => `${r.kind} ${r.metadata.name ?? r.metadata.generateName}`;
const ofKind = <T>(resources: Resource[], kind: string) => resources.filter((r) => r.kind === kind) as unknown as (T & Resource)[];
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const topicsOf = (p: ProjectionDefinition) => p.topics ?? [...new Set(p.eventTypes.map((type) => eventCatalog[type].topic))];

/** The outflow Config every pod of a build gets: its ConfigMap, plus its Secret where it has one. */
function buildConfig(resources: Resource[]): Config {
  const data = ofKind<{ data: Record<string, string> }>(resources, 'ConfigMap').find((c) => c.metadata.name === 'outflow-config')?.data;
  if (!data) throw new Error('no ConfigMap outflow-config');
  const secret = ofKind<{ stringData?: Record<string, string> }>(resources, 'Secret').find((s) => s.metadata.name === 'outflow-secrets');
  return loadConfig({ ...data, ...secret?.stringData });
}

t.test('every YAML document under deploy/ matches its schema and names no unknown field', async (t) => {
  for (const { file, resources } of files) {
    for (const resource of resources) {
      const where = `${path.relative(repoRoot, file)}: ${label(resource)}`;
      t.doesNotThrow(() => validate(resource), where);
      t.same(typeErrorsOf.get(resource), [], `${where}: generated types`);
    }
  }
});

for (const [name, resources] of Object.entries(builds)) {
  t.test(`the ${name} build: every resource matches its schema after the patches`, async (t) => {
    for (const resource of resources) {
      t.doesNotThrow(() => validate(resource), label(resource));
      t.same(typeErrorsOf.get(resource), [], `${label(resource)}: generated types`);
    }
    t.doesNotThrow(() => buildConfig(resources), 'the ConfigMap (and Secret) is a valid outflow config');
  });

  t.test(`the ${name} build: topics as the code creates them, KEDA within the partitions`, async (t) => {
    const config = buildConfig(resources);
    const topics = new Map(ofKind<IKafkaTopic>(resources, 'KafkaTopic').map((k) => [k.spec?.topicName ?? k.metadata.name, k.spec ?? {}]));
    for (const topic of AGGREGATE_TYPES.map(topicOf)) {
      t.equal(topics.get(topic)?.partitions, config.events.partitions, `${topic} has OUTFLOW_EVENT_PARTITIONS partitions`);
      t.match(topics.get(topic)?.config, { 'retention.ms': -1, 'retention.bytes': -1 }, `${topic} keeps every event`);
    }
    for (const projection of allProjections) t.equal(topics.get(dlqTopicOf(projection.name))?.partitions, 1, `${dlqTopicOf(projection.name)} is declared`);
    for (const source of declaredSources(config)) {
      const connector = source.connector.config;
      t.equal(topics.get(connector['transforms.heartbeatRowsToHeartbeatTopic.replacement'] ?? '')?.partitions, Number(connector['topic.creation.heartbeat.partitions']), `${source.name}: its heartbeat topic is declared`);
    }

    const scaled = ofKind<IScaledObject>(resources, 'ScaledObject');
    t.same(scaled.map((s) => s.spec.scaleTargetRef.name).sort(), allProjections.map((p) => `projector-${p.name}`).sort(), 'one ScaledObject per projection');
    for (const projection of allProjections) {
      const deployment = ofKind<IDeployment>(resources, 'Deployment').find((d) => d.metadata.name === `projector-${projection.name}`);
      t.same(deployment?.spec?.template.spec?.containers[0]?.args, ['projector', 'run', '--projections', projection.name], `projector-${projection.name} runs ${projection.name}`);
      t.equal(deployment?.spec?.replicas, undefined, `projector-${projection.name} leaves its replica count to KEDA`);
      const object = scaled.find((s) => s.spec.scaleTargetRef.name === `projector-${projection.name}`)!;
      const partitions = topicsOf(projection).map((topic) => topics.get(topic)?.partitions ?? 0);
      t.ok(object.spec.maxReplicaCount! <= Math.min(...partitions), `${projection.name}: maxReplicaCount ${object.spec.maxReplicaCount} ≤ partitions ${partitions.join(', ')}`);
      t.ok((object.spec.minReplicaCount ?? 0) >= 1 && object.spec.minReplicaCount! <= object.spec.maxReplicaCount!, `${projection.name}: 1 ≤ minReplicaCount ≤ maxReplicaCount`);
      t.same(object.spec.triggers.map((trigger) => trigger.metadata.topic).sort(), [...topicsOf(projection)].sort(), `${projection.name}: one trigger per topic it reads`);
      for (const { type, metadata } of object.spec.triggers) {
        const generation = Number(/\.g(\d+)$/.exec(metadata.consumerGroup ?? '')?.[1]);
        t.equal(type, 'kafka');
        t.equal(metadata.consumerGroup, consumerGroupOf(projection.name, generation), `${projection.name}: a generation's consumer group`);
        t.equal(metadata.bootstrapServersFromEnv, 'OUTFLOW_KAFKA_BROKERS');
        // Trigger metadata is a free-form map to every schema: its keys are checked here.
        t.same(Object.keys(metadata).sort(), ['bootstrapServersFromEnv', 'consumerGroup', 'lagThreshold', 'offsetResetPolicy', 'topic'], `${projection.name}: known trigger settings`);
        t.match(metadata, { lagThreshold: /^[1-9]\d*$/, offsetResetPolicy: 'latest' });
      }
    }
  });

  t.test(`the ${name} build: pods are probed, bounded, non-root, and find what they refer to`, async (t) => {
    const deployments = ofKind<IDeployment>(resources, 'Deployment');
    const services = ofKind<IService>(resources, 'Service');
    for (const d of deployments) {
      const pod = d.spec!.template.spec!;
      const podLabels = d.spec!.template.metadata?.labels;
      t.ok(pod.securityContext?.runAsNonRoot && (pod.securityContext.runAsUser ?? 0) > 0, `${d.metadata.name} runs as a non-root uid`);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const where = `${d.metadata.name}/${c.name}`;
        t.ok(c.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.cpu && c.resources.limits.memory, `${where} has requests and limits`);
        t.equal(c.securityContext?.allowPrivilegeEscalation, false, `${where} cannot escalate`);
        t.ok(c.envFrom?.some((e) => e.configMapRef?.name === 'outflow-config'), `${where} reads outflow-config`);
      }
      for (const c of pod.containers) {
        t.ok(c.readinessProbe?.httpGet && c.livenessProbe?.httpGet, `${d.metadata.name}/${c.name} has HTTP readiness and liveness probes`);
        const ports = new Set(c.ports?.map((p) => p.name));
        for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) if (probe) t.ok(ports.has(String(probe.httpGet?.port)), `${d.metadata.name}: its probe's port is declared`);
      }
      t.ok(services.some((s) => matches(s.spec?.selector, podLabels)), `a Service selects ${d.metadata.name}`);
      t.ok(ofKind<IPodDisruptionBudget>(resources, 'PodDisruptionBudget').some((p) => matches(p.spec?.selector?.matchLabels, podLabels)), `a PodDisruptionBudget covers ${d.metadata.name}`);
    }
    const monitors = ofKind<IServiceMonitor>(resources, 'ServiceMonitor');
    for (const s of services) {
      const monitor = monitors.find((m) => matches(m.spec.selector.matchLabels, s.metadata?.labels) && (m.spec.selector.matchExpressions ?? []).every((e) => e.values?.includes(s.metadata?.labels?.[e.key] ?? '')));
      t.ok(monitor?.spec.endpoints?.some((e) => e.path === '/metrics' && s.spec?.ports?.some((p) => p.name === e.port)), `a ServiceMonitor scrapes ${s.metadata?.name}`);
    }
    const secrets = ofKind<{ stringData?: Record<string, string> }>(resources, 'Secret');
    if (name === 'base') return t.same(secrets, [], 'the base holds no Secret: an overlay or a secret store provides them');
    for (const d of deployments) {
      for (const c of [...(d.spec!.template.spec!.initContainers ?? []), ...d.spec!.template.spec!.containers]) {
        for (const ref of (c.env ?? []).map((e) => e.valueFrom?.secretKeyRef).filter((r) => r !== undefined)) {
          t.ok(secrets.find((s) => s.metadata.name === ref.name)?.stringData?.[ref.key] !== undefined, `${d.metadata.name}/${c.name}: Secret ${ref.name} has ${ref.key}`);
        }
      }
    }
    t.ok(resources.some((r) => r.kind === 'Namespace' && r.metadata.name === resources.find((x) => x.kind === 'Deployment')?.metadata.namespace), 'the namespace is created');
  });

  t.test(`the ${name} build: Kafka, Connect, connector and registry fit together`, async (t) => {
    const config = buildConfig(resources);
    const kafka = resources.find((r) => r.kind === 'Kafka')!;
    t.match(kafka.metadata.annotations, { 'strimzi.io/kraft': 'enabled', 'strimzi.io/node-pools': 'enabled' });
    for (const r of resources.filter((x) => ['KafkaNodePool', 'KafkaTopic'].includes(x.kind))) t.equal(r.metadata.labels?.['strimzi.io/cluster'], kafka.metadata.name, `${label(r)} belongs to the Kafka cluster`);
    const [broker] = config.kafka.brokers;
    // The base has no namespace of its own; outflow.env assumes the overlays' outflow.
    const namespace = kafka.metadata.namespace ?? 'outflow';
    t.equal(broker, `${kafka.metadata.name}-kafka-bootstrap.${namespace}.svc:9092`, 'OUTFLOW_KAFKA_BROKERS names the bootstrap Service in the namespace');

    const connect = ofKind<IKafkaConnect>(resources, 'KafkaConnect')[0]!;
    t.equal(connect.metadata?.annotations?.['strimzi.io/use-connector-resources'], 'true', 'Strimzi manages the KafkaConnector');
    t.same(connect.spec.build?.plugins.flatMap((p) => p.artifacts), [{ type: 'maven', group: 'io.debezium', artifact: 'debezium-connector-postgres', version: readStackVersions(repoRoot).debezium }], 'the Debezium the local stack runs, from Maven Central');
    t.match(connect.spec.config, { 'config.providers': 'file', 'config.providers.file.class': 'org.apache.kafka.common.config.provider.FileConfigProvider' });
    const mount = connect.spec.template?.connectContainer?.volumeMounts?.find((m) => config.connect.secretsFile.startsWith(`${m.mountPath}/`));
    const volume = connect.spec.template?.pod?.volumes?.find((v) => v.name === mount?.name);
    t.ok(volume?.secret?.secretName, 'OUTFLOW_CONNECT_SECRETS_FILE lies in a mounted Secret');
    const secret = resources.find((r) => r.kind === 'Secret' && r.metadata.name === volume?.secret?.secretName) as { stringData?: Record<string, string> } | undefined;
    if (name === 'local') t.match(secret?.stringData?.[path.basename(config.connect.secretsFile)], /^cdc\.password=/m, 'the mounted file holds cdc.password');

    const sources = declaredSources(config);
    const connectors = resources.filter((r) => r.kind === 'KafkaConnector');
    t.same(connectors.map((c) => c.metadata.name).sort(), sources.map((s) => s.connector.name).sort(), 'one KafkaConnector per declared source');
    for (const source of sources) {
      const connector = connectors.find((c) => c.metadata.name === source.connector.name);
      if (!connector) continue;
      t.equal(connector.metadata.labels?.['strimzi.io/cluster'], connect.metadata?.name, `${source.name}: the connector runs on the KafkaConnect`);
      const rendered = parseYaml(renderConnector(source.connector, 'strimzi', { cluster: connect.metadata!.name!, command: '', from: source.file })) as Resource;
      t.same({ ...connector, metadata: { ...connector.metadata, namespace: undefined } }, { ...rendered, metadata: { ...rendered.metadata, namespace: undefined } }, `${source.name}: the KafkaConnector is what its declaration renders with this ConfigMap`);
    }

    const registry = resources.find((r) => r.kind === 'ApicurioRegistry3') as unknown as { spec: { app: { storage: { sql: { dataSource: { url: string; username: string; password: { name: string; key: string } } } } } } };
    const source = registry.spec.app.storage.sql.dataSource;
    t.equal(source.url, `jdbc:postgresql://${config.postgres.host}:${config.postgres.port}/${config.postgres.registryDatabase}`, 'the registry keeps its data where outflow.env says');
    t.equal(source.username, config.postgres.user);
    t.ok(config.registry.url.startsWith(`http://${resources.find((r) => r.kind === 'ApicurioRegistry3')!.metadata.name}-app-service:8080/`), "OUTFLOW_REGISTRY_URL names the operator's Service");
  });
}

t.test('each committed KafkaConnector is exactly what `outflow connectors render <source> --format strimzi` prints', async (t) => {
  const sources = declaredSources(buildConfig(builds.base));
  t.same(fs.readdirSync(path.join(deployDir, 'base', 'kafka', 'sources')).sort(), sources.map((s) => `${s.name}.yaml`).sort(), 'deploy/base/kafka/sources/ holds one file per declared source');
  for (const source of sources) {
    const args = ['connectors', 'render', source.name, '--format', 'strimzi', '--cluster', 'outflow', '--from-env-file', 'deploy/base/outflow.env'];
    const printed = execFileSync(process.execPath, [path.join(repoRoot, 'bin', 'outflow.js'), ...args], { cwd: repoRoot, encoding: 'utf8' });
    const file = `deploy/base/kafka/sources/${source.name}.yaml`;
    t.equal(fs.readFileSync(path.join(repoRoot, file), 'utf8'), printed, `regenerate with: npx outflow ${args.join(' ')} > ${file}`);
    const json = execFileSync(process.execPath, [path.join(repoRoot, 'bin', 'outflow.js'), 'connectors', 'render', source.name, '--format', 'connect', '--from-env-file', 'deploy/base/outflow.env'], { cwd: repoRoot, encoding: 'utf8' });
    t.same(JSON.parse(json), source.connector, `${source.name}: --format connect is the body Connect's REST API takes`);
  }
});

t.test('one rebuild Job per projection, running `outflow projections rebuild <name>`', async (t) => {
  const projectorImage = ofKind<IDeployment>(builds.base, 'Deployment')[0]!.spec!.template.spec!.containers[0]!.image;
  t.same(ofKind<IJob>(jobs, 'Job').map((j) => j.spec!.template.spec!.containers[0]!.args!.slice(0, 3)).sort(), allProjections.map((p) => ['projections', 'rebuild', p.name]).sort());
  for (const job of ofKind<IJob>(jobs, 'Job')) {
    t.equal(job.spec!.template.spec!.containers[0]!.image, projectorImage, `${label(job)} runs the services' image`);
    t.ok(job.spec!.template.spec!.securityContext?.runAsNonRoot, `${label(job)} runs as non-root`);
  }
});

t.test('the image: Node 24 in every stage, production dependencies only, not root', async (t) => {
  const dockerfile = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
  t.ok(stages.length >= 2 && stages.every((image) => image === 'node:24-bookworm-slim'), `every stage is node:24-bookworm-slim (${stages.join(', ')})`);
  t.match(dockerfile, /npm ci --omit=dev/);
  t.match(dockerfile, /^USER node$/m);
  const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  for (const d of [...ofKind<IDeployment>(builds.base, 'Deployment')]) {
    for (const c of [...(d.spec!.template.spec!.initContainers ?? []), ...d.spec!.template.spec!.containers]) t.equal(c.image, `outflow:${version}`, `${d.metadata.name}/${c.name} runs this version's image`);
  }
});
