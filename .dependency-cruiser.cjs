// The dependency rule of docs/architecture.md, checked by test/unit/dependencyRules.test.ts.
// Paths are relative to the repository root. bench/ and test/ may import anything and are not
// checked here, except that nothing may import them.

// Files that wire a process together and may therefore know the list of read models.
const compositionRoots = [
  '^bin/',
  '^bench/',
  '^test/',
  '^status/',
  '(^|/)(cli|main)\\.ts$',
  '^query-api/server\\.ts$',
  '^infra/local/serviceComponents\\.ts$',
  '^projectors/(projectionsCli|dlqCli)\\.ts$',
  '^projectors/verification/verifyPipeline\\.ts$',
];

// Everything of the project's own that is not the shared kernel.
const outsideLib = '^(bin|bench|test|infra|status|command-api|payments|query-api|connectors|projectors|read-models|schemas)/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one; whatever they share belongs below both.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-is-the-kernel',
      severity: 'error',
      comment: 'lib/ is what every area shares: it imports nothing of the project outside lib/.',
      from: { path: '^lib/' },
      to: { path: outsideLib },
    },
    {
      name: 'schemas-on-lib',
      severity: 'error',
      comment: 'The event contract (schemas/) builds on lib/ only.',
      from: { path: '^schemas/' },
      to: { path: outsideLib, pathNot: '^schemas/' },
    },
    {
      name: 'write-side-on-lib-and-schemas',
      severity: 'error',
      comment: 'command-api/, payments/ and connectors/ import only lib/, schemas/ and themselves; the command API also mounts the payments service\'s routes.',
      from: { path: '^(command-api|payments|connectors)/' },
      to: { path: outsideLib, pathNot: ['^schemas/', '^$1/', '^payments/(paymentRoutes|paymentCommands|paymentsDatabase)\\.ts$'] },
    },
    {
      name: 'payments-is-its-own-service',
      severity: 'error',
      comment: 'The payments service knows nothing of the command API, and only its routes, commands and database handle are mounted by others.',
      from: { path: '^payments/' },
      to: { path: '^command-api/' },
    },
    {
      name: 'applications-are-leaves',
      severity: 'error',
      comment: 'Nothing builds on the command API, and only read models use the query API (its route kit, http/); the CLI entry, the bench and the tests start them.',
      from: { pathNot: ['^(bin|bench|test)/', '^command-api/'] },
      to: { path: '^command-api/' },
    },
    {
      name: 'query-api-is-a-leaf',
      severity: 'error',
      comment: 'Only the CLI entry, the bench, the tests and the read models (through query-api/http/) import the query API.',
      from: { pathNot: ['^(bin|bench|test|query-api|read-models)/'] },
      to: { path: '^query-api/' },
    },
    {
      name: 'projector-core-on-lib-and-schemas',
      severity: 'error',
      comment: 'The projection contract, the stores and the runtime import only lib/, schemas/ and projectors/.',
      from: { path: '^projectors/(projection\\.ts$|stores/|runtime/)' },
      to: { path: outsideLib, pathNot: ['^schemas/', '^projectors/'] },
    },
    {
      name: 'runtime-below-generations-and-verification',
      severity: 'error',
      comment: 'Rebuilds, switches and verify are built on the runtime, never the other way round: the runtime is handed what it needs (runtime/liveGenerations.ts).',
      from: { path: '^projectors/runtime/' },
      to: { path: '^projectors/(generations|verification)/' },
    },
    {
      name: 'stores-below-runtime',
      severity: 'error',
      comment: 'A store adapter knows the projection contract, not the runtime that drives it nor the generations.',
      from: { path: '^projectors/stores/' },
      to: { path: '^projectors/(runtime|generations)/' },
    },
    {
      name: 'projectors-below-the-edges',
      severity: 'error',
      comment: 'Apart from its composition roots, projectors/ imports only lib/, schemas/ and itself (the read models through the registry only, which the registry rule limits to composition roots).',
      from: { path: '^projectors/', pathNot: compositionRoots },
      to: { path: outsideLib, pathNot: ['^schemas/', '^projectors/'] },
    },
    {
      name: 'read-model-kit-only',
      severity: 'error',
      comment: 'A read model (read-models/<name>/) builds on lib/, schemas/, the projection contract, the stores, the verify kit and the query route kit, and on nothing of another read model, the runtime or the generations.',
      from: { path: '^read-models/([^/]+)/' },
      to: {
        path: outsideLib,
        pathNot: [
          '^lib/',
          '^schemas/',
          '^projectors/projection\\.ts$',
          '^projectors/stores/',
          '^projectors/verification/',
          '^query-api/http/',
          '^read-models/readModel\\.ts$',
          '^read-models/$1/',
        ],
      },
    },
    {
      name: 'registry-in-composition-roots-only',
      severity: 'error',
      comment: 'The one list of read models (read-models/registry.ts) is wired in by composition roots only.',
      from: { pathNot: compositionRoots },
      to: { path: '^read-models/registry\\.ts$' },
    },
    {
      name: 'query-api-kit-without-read-models',
      severity: 'error',
      comment: 'The query API outside its composition roots (server.ts, main.ts, cli.ts), the route kit included, does not know the read models.',
      from: { path: '^query-api/', pathNot: '^query-api/(server|main|cli)\\.ts$' },
      to: { path: '^read-models/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^node_modules/', '^test/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6'],
  },
};
