import { documentParsing, type EsErrorCause } from './errors.ts';

/** Field path (dotted) -> mapped type, for one index. */
export type FieldTypes = Map<string, string>;

/** Flattens a `mappings.properties` tree into dotted field paths and their types. */
export function fieldTypesFromMappings(mappings: unknown, prefix = '', into: FieldTypes = new Map()): FieldTypes {
  const properties = (mappings as { properties?: Record<string, { type?: string; properties?: unknown }> } | undefined)
    ?.properties;
  if (!properties) return into;
  for (const [name, spec] of Object.entries(properties)) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (spec.properties) {
      into.set(path, 'object');
      fieldTypesFromMappings(spec, path, into);
    } else {
      into.set(path, spec.type ?? 'object');
    }
  }
  return into;
}

const integerTypes = new Set(['long', 'integer', 'short', 'byte', 'unsigned_long']);
const floatTypes = new Set(['double', 'float', 'half_float', 'scaled_float']);
const dateLike = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function preview(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function dynamicType(value: unknown): string {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'long' : 'float';
  if (typeof value === 'string') return dateLike.test(value) ? 'date' : 'text';
  return 'object';
}

function checkScalar(field: string, type: string, value: unknown, id: string): EsErrorCause | undefined {
  if (value === null) return undefined;
  if (type === 'object' || type === 'nested') {
    if (typeof value !== 'object') {
      return {
        type: 'document_parsing_exception',
        reason: `[1:2] object mapping for [${field}] tried to parse field [${field}] as object, but found a concrete value`,
      };
    }
    return undefined;
  }
  if (type === 'flattened') return undefined;
  if (typeof value === 'object') {
    return documentParsing(field, type, id, preview(value), `Can't get text on a START_OBJECT at 1:2`);
  }
  if (integerTypes.has(type)) {
    const n = typeof value === 'number' ? value : Number(value);
    if (typeof value === 'boolean' || !Number.isFinite(n))
      return documentParsing(field, type, id, preview(value), `For input string: "${preview(value)}"`);
  } else if (floatTypes.has(type)) {
    const n = typeof value === 'number' ? value : Number(value);
    if (typeof value === 'boolean' || !Number.isFinite(n))
      return documentParsing(field, type, id, preview(value), `For input string: "${preview(value)}"`);
  } else if (type === 'date' || type === 'date_nanos') {
    if (typeof value === 'boolean' || (typeof value === 'string' && Number.isNaN(Date.parse(value)))) {
      return documentParsing(
        field,
        type,
        id,
        preview(value),
        `failed to parse date field [${preview(value)}] with format [strict_date_optional_time||epoch_millis]`,
      );
    }
  } else if (type === 'boolean') {
    if (value !== true && value !== false && value !== 'true' && value !== 'false' && value !== '') {
      return documentParsing(
        field,
        type,
        id,
        preview(value),
        `Failed to parse value [${preview(value)}] as only [true] or [false] are allowed.`,
      );
    }
  }
  return undefined;
}

/**
 * Checks a document against an index's field types the way Elasticsearch's document parser does for
 * the common cases, adding dynamically mapped fields (first value decides) when it fits.
 * Returns the error of the first field that does not fit.
 */
export function checkDocument(types: FieldTypes, doc: unknown, id: string): EsErrorCause | undefined {
  const added: [string, string][] = [];
  const walk = (value: unknown, prefix: string): EsErrorCause | undefined => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const field = prefix ? `${prefix}.${key}` : key;
      const values = Array.isArray(child) ? child : [child];
      for (const item of values) {
        const mapped = types.get(field) ?? added.find(([f]) => f === field)?.[1];
        const type = mapped ?? dynamicType(item);
        if (!mapped && item !== null) added.push([field, type]);
        const error = checkScalar(field, type, item, id);
        if (error) return error;
        if (type === 'object' || type === 'nested') {
          const inner = walk(item, field);
          if (inner) return inner;
        }
      }
    }
    return undefined;
  };
  const error = walk(doc, '');
  if (!error) for (const [field, type] of added) types.set(field, type);
  return error;
}

/** Reads a dotted field from a document, whether stored as nested objects or as dotted keys. */
export function getField(doc: unknown, field: string): unknown {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const record = doc as Record<string, unknown>;
  if (field in record) return record[field];
  const dot = field.indexOf('.');
  for (let i = dot; i !== -1; i = field.indexOf('.', i + 1)) {
    const head = field.slice(0, i);
    if (head in record) {
      const found = getField(record[head], field.slice(i + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
