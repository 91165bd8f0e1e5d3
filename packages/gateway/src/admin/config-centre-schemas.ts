/** Wire schemas of `/admin/config-centre/*`: they validate requests and document the API. */
import { PROBLEM_MEDIA_TYPE } from '@flotilla/kit';
import Type, { type Static } from 'typebox';

/** The config centre's own rule for namespace and document names. */
const NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

export const Namespace = Type.String({ pattern: NAME_PATTERN, maxLength: 63, description: 'A config namespace: dev, staging, prod, …' });
export const ServiceName = Type.String({
  pattern: NAME_PATTERN,
  maxLength: 63,
  description: 'A document: a service name, or `shared` (the keys every service of the namespace reads)',
});
const Version = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'A version number (1, 2, 3 … per document)' });
const Message = Type.String({ maxLength: 1000, description: 'Why; recorded in the history' });

/** A config document as data: the YAML mapping, `${VAR}` references left as written. */
export const ConfigDocumentData = Type.Record(Type.String(), Type.Unknown(), {
  description: 'The YAML mapping as data (`${VAR}` references unresolved)',
});
/** A stored document as data; null when the stored text is not a YAML mapping (a working copy broken by hand: see `text`). */
const StoredDocumentData = Type.Union([ConfigDocumentData, Type.Null()], {
  description: 'The YAML mapping as data (`${VAR}` references unresolved); null when the stored text is not a YAML mapping',
});
const YamlText = Type.String({ maxLength: 262_144, description: 'The YAML text as stored (comments and `${VAR}` references included)' });
const JsonSchema = Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
  description: 'The JSON Schema the service published to the centre, or null when it published none',
});

export const NamespaceParams = Type.Object({ ns: Namespace });
export const DocumentParams = Type.Object({ ns: Namespace, service: ServiceName });
export const VersionParams = Type.Object({
  ns: Namespace,
  service: ServiceName,
  version: Type.String({ pattern: '^[1-9][0-9]{0,14}$', maxLength: 15, description: 'A version number (1, 2, 3 … per document)' }),
});

export const DocumentError = Type.Object(
  {
    path: Type.String({ description: 'JSON Pointer to the offending key; "" for the whole document (YAML syntax, not a mapping)' }),
    message: Type.String(),
    service: Type.Optional(Type.String({ description: 'The service whose schema refused it, when not the document itself' })),
  },
  { additionalProperties: false },
);
export type DocumentError = Static<typeof DocumentError>;

/** 422: the document breaks the service's schema; nothing was stored. */
export const InvalidDocumentProblem = {
  description: 'The document is not a YAML mapping or breaks the published schema; `errors` lists each problem, nothing was stored',
  content: {
    [PROBLEM_MEDIA_TYPE]: {
      schema: Type.Object(
        {
          type: Type.String({ format: 'uri' }),
          title: Type.String(),
          status: Type.Integer(),
          detail: Type.Optional(Type.String()),
          instance: Type.Optional(Type.String()),
          requestId: Type.Optional(Type.String()),
          errors: Type.Array(DocumentError),
        },
        { additionalProperties: true, description: 'RFC 9457 problem details' },
      ),
    },
  },
};

export const NamespacesAnswer = Type.Object({ namespaces: Type.Array(Type.String()) });

export const NamespaceAnswer = Type.Object({
  namespace: Type.String(),
  services: Type.Array(
    Type.Object({
      service: Type.String(),
      version: Type.Integer(),
      updatedAt: Type.String({ format: 'date-time' }),
      author: Type.String(),
    }),
  ),
});

export const DocumentAnswer = Type.Object({
  service: Type.String(),
  version: Type.Integer(),
  document: StoredDocumentData,
  text: YamlText,
  schema: JsonSchema,
});

export const HistoryAnswer = Type.Object({
  entries: Type.Array(
    Type.Object({
      version: Type.Integer(),
      author: Type.String(),
      message: Type.String(),
      at: Type.String({ format: 'date-time' }),
      rollbackOf: Type.Optional(Type.Integer({ description: 'The version whose content this one restored' })),
    }),
    { description: 'Newest first' },
  ),
});

export const VersionAnswer = Type.Object({ version: Type.Integer(), document: StoredDocumentData, text: YamlText });

export const DiffQuery = Type.Object(
  {
    from: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Older version (0: the empty document); default `to` − 1',
      }),
    ),
    to: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Newer version; default the head' })),
  },
  { additionalProperties: false },
);
export type DiffQuery = Static<typeof DiffQuery>;

export const DiffAnswer = Type.Object({
  from: Type.Integer(),
  to: Type.Integer(),
  unified: Type.String({ description: 'Unified diff of the YAML texts; empty when equal' }),
});

/** JSON Schema for "exactly one of `document` and `text`", so the document says what the server takes. */
const DOCUMENT_OR_TEXT = { oneOf: [{ required: ['document'] }, { required: ['text'] }] };

export const ValidateBody = Type.Object(
  { document: Type.Optional(ConfigDocumentData), text: Type.Optional(YamlText) },
  { additionalProperties: false, description: 'Exactly one of `document` and `text`', ...DOCUMENT_OR_TEXT },
);
export type ValidateBody = Static<typeof ValidateBody>;

export const ValidateAnswer = Type.Object({
  valid: Type.Boolean(),
  errors: Type.Optional(Type.Array(DocumentError)),
});

export const PutBody = Type.Object(
  {
    document: Type.Optional(ConfigDocumentData),
    text: Type.Optional(YamlText),
    message: Type.Optional(Message),
    expectedVersion: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'The head version the change was based on (0: the document must not exist yet); a stale one is a 409',
    }),
  },
  { additionalProperties: false, description: 'Exactly one of `document` and `text`', ...DOCUMENT_OR_TEXT },
);
export type PutBody = Static<typeof PutBody>;

export const WrittenAnswer = Type.Object({ version: Type.Integer({ description: 'The new head version' }) });

export const RollbackBody = Type.Object(
  {
    version: Version,
    message: Type.Optional(Message),
    expectedVersion: Type.Optional(
      Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Refused (409) unless the head is still this version' }),
    ),
  },
  { additionalProperties: false },
);
export type RollbackBody = Static<typeof RollbackBody>;

export const EXPORT_FORMAT = 'flotilla-config-export/v1';

const exportFile = (entryRule: object) =>
  Type.Object(
    {
      format: Type.Literal(EXPORT_FORMAT),
      namespace: Namespace,
      services: Type.Record(
        Type.String(),
        Type.Object(
          {
            document: Type.Optional(StoredDocumentData),
            text: Type.Optional(YamlText),
            schema: Type.Optional(JsonSchema),
            version: Type.Optional(Version),
          },
          {
            additionalProperties: false,
            description: 'One document: `text` is stored as written; without it, `document` (a mapping)',
            ...entryRule,
          },
        ),
        { propertyNames: { pattern: NAME_PATTERN, maxLength: 63 }, description: 'By document name' },
      ),
    },
    { additionalProperties: false, description: 'Every document of one namespace, with the schema each service published' },
  );

/** What `GET /admin/config-export/{ns}` answers. */
export const ExportFile = exportFile({});
/** What `POST /admin/config-import/{ns}` takes: an export file, each document with its `text` or a `document` mapping. */
export const ImportFile = exportFile({
  anyOf: [{ required: ['text'] }, { required: ['document'], properties: { document: { type: 'object' } } }],
});
export type ExportFile = Static<typeof ExportFile>;

export const ImportAnswer = Type.Object({
  imported: Type.Array(Type.String(), { description: 'Documents stored as a new version' }),
  unchanged: Type.Array(Type.String(), { description: 'Documents whose head already had this text' }),
});
