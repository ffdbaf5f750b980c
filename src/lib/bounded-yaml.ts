import { isScalar, LineCounter, parseAllDocuments, visit, type YAMLError } from "yaml";

/** Largest YAML or JSON text the relay parses: far above any real manifest, far below KV's 25 MiB. */
export const MAX_YAML_BYTES = 256 * 1024;
/** Most keys one map may hold (labels, annotations, eventMetadata, a Secret's data). */
export const MAX_KEYS_PER_MAP = 1000;

export interface YamlLimits {
  maxBytes?: number;
  maxKeysPerMap?: number;
}

/**
 * A YAML text that cannot be read. Its message names the position and the kind of error only:
 * the `yaml` library's own messages quote the offending source lines, and those lines may hold a
 * Secret's token (a malformed `headers` value, say), so they never leave this module.
 */
export class YamlProblem extends Error {
  override name = "YamlProblem";
}

/**
 * Parses YAML (or JSON) with bounds that make a hostile document cheap: a size cap, a linear
 * duplicate-key check (the library's own check compares every key with every other one, 2.5 s for
 * 20,000 keys; it is switched off and replaced by one Set per map), a cap on keys per map, and
 * the library's alias-expansion limit.
 */
export function parseBoundedYaml(text: string, limits: YamlLimits = {}): unknown {
  const documents = parseBoundedYamlDocuments(text, limits);
  if (documents.length > 1) throw new YamlProblem(`holds ${documents.length} YAML documents where one is expected`);
  return documents[0] ?? null;
}

/** Every document of a multi-document text (`---`), with the bounds of parseBoundedYaml; empty documents included as null. */
export function parseBoundedYamlDocuments(text: string, limits: YamlLimits = {}): unknown[] {
  const maxBytes = limits.maxBytes ?? MAX_YAML_BYTES;
  const maxKeys = limits.maxKeysPerMap ?? MAX_KEYS_PER_MAP;
  // UTF-8 needs at most 3 bytes per UTF-16 unit: the cheap check first, the exact one only near the limit.
  if (text.length > maxBytes || (text.length * 3 > maxBytes && new TextEncoder().encode(text).byteLength > maxBytes)) {
    throw new YamlProblem(`larger than ${maxBytes} bytes`);
  }
  const lines = new LineCounter();
  const at = (offset: number | undefined) => {
    if (offset === undefined) return "an unknown position";
    const { line, col } = lines.linePos(offset);
    return `line ${line}, column ${col}`;
  };
  const docs = parseAllDocuments(text, { uniqueKeys: false, prettyErrors: true, lineCounter: lines });
  // An empty text parses to an empty list (or, for some inputs, an EmptyStream without errors).
  if (!Array.isArray(docs)) return [null];
  return docs.map((doc) => {
    if (doc.errors.length > 0) throw new YamlProblem(describeYamlError(doc.errors[0]));
    let problem: string | undefined;
    visit(doc, {
      Map(_, map) {
        if (map.items.length > maxKeys) {
          problem = `the map at ${at(map.range?.[0])} has ${map.items.length} keys; at most ${maxKeys} are allowed`;
          return visit.BREAK;
        }
        const seen = new Set<string>();
        for (const pair of map.items) {
          // Scalar keys only: a complex key (a map as a key) cannot be a manifest field.
          if (!isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          if (seen.has(key)) {
            problem = `duplicate map key at ${at(pair.key.range?.[0])}`;
            return visit.BREAK;
          }
          seen.add(key);
        }
        return undefined;
      },
    });
    if (problem) throw new YamlProblem(problem);
    try {
      return doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // Alias expansion beyond the limit (a "billion laughs" document) or an unresolvable alias.
      throw new YamlProblem(`cannot be expanded: ${(err as Error).name}`);
    }
  });
}

/** `<kind> at line L, column C`: the error's first line without anything it quotes. */
export function describeYamlError(err: YAMLError): string {
  const first = err.message.split("\n")[0];
  // Messages end in " at line L, column C:" and some name a token after a colon (an alias, a tag).
  const kind = first.replace(/ at line \d+, column \d+:?$/, "").split(": ")[0];
  const at = err.linePos?.[0];
  return at ? `${kind} at line ${at.line}, column ${at.col}` : kind;
}
