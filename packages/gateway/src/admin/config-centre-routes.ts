/**
 * `/admin/config-centre/*`: the config centre over HTTP, for the console and
 * scripts (see `config-centre.ts`). Export and import have paths of their own
 * (`/admin/config-export/{ns}`, `/admin/config-import/{ns}`): under
 * `/config-centre/{ns}/` they would share a path shape with a document named
 * `export` or `import`.
 */
import { type HttpApp, problemResponses } from '@flotilla/kit';
import { adminIdentity } from './admin-auth.ts';
import type { ConfigCentreAdmin } from './config-centre.ts';
import {
  DiffAnswer,
  DiffQuery,
  DocumentAnswer,
  DocumentParams,
  ExportFile,
  HistoryAnswer,
  ImportAnswer,
  ImportFile,
  InvalidDocumentProblem,
  NamespaceAnswer,
  NamespaceParams,
  NamespacesAnswer,
  PutBody,
  RollbackBody,
  ValidateAnswer,
  ValidateBody,
  VersionAnswer,
  VersionParams,
  WrittenAnswer,
} from './config-centre-schemas.ts';

const tags = ['admin'];
const PREFIX = '/config-centre';
const EXPORT_PREFIX = '/config-export';
const IMPORT_PREFIX = '/config-import';

export function registerConfigCentreRoutes(admin: HttpApp, centre: ConfigCentreAdmin): void {
  const author = (request: Parameters<typeof adminIdentity>[0]): string => adminIdentity(request).subject;

  admin.get(
    `${PREFIX}/namespaces`,
    {
      schema: {
        tags,
        summary: 'The config namespaces',
        operationId: 'listConfigNamespaces',
        response: { 200: NamespacesAnswer, ...problemResponses(401, 403) },
      },
    },
    async () => centre.namespaces(),
  );

  admin.get(
    `${PREFIX}/:ns`,
    {
      schema: {
        tags,
        summary: "A namespace's documents with their head versions",
        operationId: 'getConfigNamespace',
        params: NamespaceParams,
        response: { 200: NamespaceAnswer, ...problemResponses(401, 403) },
      },
    },
    async (request) => centre.namespace(request.params.ns),
  );

  admin.get(
    `${EXPORT_PREFIX}/:ns`,
    {
      schema: {
        tags,
        summary: 'Every document of a namespace as one JSON file (an attachment)',
        operationId: 'exportConfigNamespace',
        params: NamespaceParams,
        response: { 200: ExportFile, ...problemResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const file = await centre.export(request.params.ns);
      return reply.header('content-disposition', `attachment; filename="flotilla-config-${request.params.ns}.json"`).send(file);
    },
  );

  admin.post(
    `${IMPORT_PREFIX}/:ns`,
    {
      schema: {
        tags,
        summary: 'Store every document of an export file (from any namespace) in this namespace',
        description:
          'All documents are checked first: one invalid document (422) and nothing is stored. Each stored document becomes a new version; one whose head already has the same text is left alone.',
        operationId: 'importConfigNamespace',
        params: NamespaceParams,
        body: ImportFile,
        response: { 200: ImportAnswer, 422: InvalidDocumentProblem, ...problemResponses(401, 403, 409) },
      },
    },
    async (request) => centre.import(request.params.ns, request.body, author(request)),
  );

  admin.get(
    `${PREFIX}/:ns/:service`,
    {
      schema: {
        tags,
        summary: 'A document: its head version, as data and as stored, and the schema its service published',
        operationId: 'getConfigDocument',
        params: DocumentParams,
        response: { 200: DocumentAnswer, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => centre.document(request.params.ns, request.params.service),
  );

  admin.put(
    `${PREFIX}/:ns/:service`,
    {
      schema: {
        tags,
        summary: 'Store a new version (compare-and-set on `expectedVersion`), after checking it against the schema',
        description:
          "Send `document` (data; the stored YAML keeps the comments of the previous version for the keys that stay) or `text` (YAML as it is to be stored). The author recorded is the caller: the console session's subject or the credential's.",
        operationId: 'putConfigDocument',
        params: DocumentParams,
        body: PutBody,
        response: {
          200: WrittenAnswer,
          409: { ...problemResponses(409)[409], description: '`expectedVersion` is no longer the head; nothing was stored' },
          422: InvalidDocumentProblem,
          ...problemResponses(401, 403),
        },
      },
    },
    async (request) => centre.put(request.params.ns, request.params.service, request.body, author(request)),
  );

  admin.get(
    `${PREFIX}/:ns/:service/history`,
    {
      schema: {
        tags,
        summary: "A document's versions, newest first",
        operationId: 'getConfigHistory',
        params: DocumentParams,
        response: { 200: HistoryAnswer, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => centre.history(request.params.ns, request.params.service),
  );

  admin.get(
    `${PREFIX}/:ns/:service/versions/:version`,
    {
      schema: {
        tags,
        summary: 'One version of a document',
        operationId: 'getConfigVersion',
        params: VersionParams,
        response: { 200: VersionAnswer, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => centre.version(request.params.ns, request.params.service, Number(request.params.version)),
  );

  admin.get(
    `${PREFIX}/:ns/:service/diff`,
    {
      schema: {
        tags,
        summary: 'Unified diff between two versions (default: the head and the one before)',
        operationId: 'diffConfigVersions',
        params: DocumentParams,
        querystring: DiffQuery,
        response: { 200: DiffAnswer, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => centre.diff(request.params.ns, request.params.service, request.query),
  );

  admin.post(
    `${PREFIX}/:ns/:service/validate`,
    {
      schema: {
        tags,
        summary: 'Check a document against the schema its service published, without storing it',
        operationId: 'validateConfigDocument',
        params: DocumentParams,
        body: ValidateBody,
        response: { 200: ValidateAnswer, ...problemResponses(401, 403) },
      },
    },
    async (request) => centre.validate(request.params.ns, request.params.service, request.body),
  );

  admin.post(
    `${PREFIX}/:ns/:service/rollback`,
    {
      schema: {
        tags,
        summary: 'Store a new version whose content equals an earlier one',
        operationId: 'rollbackConfigDocument',
        params: DocumentParams,
        body: RollbackBody,
        response: { 200: WrittenAnswer, 422: InvalidDocumentProblem, ...problemResponses(401, 403, 404, 409) },
      },
    },
    async (request) => centre.rollback(request.params.ns, request.params.service, request.body, author(request)),
  );
}
