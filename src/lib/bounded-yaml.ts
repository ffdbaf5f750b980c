import { constructFromEvents, EVENT_ID, parseEvents, YAMLException, type Event } from "js-yaml";
import { lineColumn } from "./line-column";

/** Largest YAML or JSON text the relay parses: far above any real manifest, far below KV's 25 MiB. */
export const MAX_YAML_BYTES = 256 * 1024;
/** Most keys one map may hold (labels, annotations, eventMetadata, a Secret's data). */
export const MAX_KEYS_PER_MAP = 1000;
/** Most aliases (`*name`) one document may use: a manifest or a Secret needs few, if any. */
export const MAX_ALIASES = 100;
/**
 * Most nodes that aliases may add to a document once expanded. js-yaml shares one object per
 * anchor, but the relay walks the value afterwards (zod, JSON.stringify) as if every alias were a
 * copy, so a "billion laughs" document (a few dozen aliases, each doubling or more) is refused
 * here, while it is still small.
 */
export const MAX_ALIAS_NODES = 10_000;

export interface YamlLimits {
  maxBytes?: number;
  maxKeysPerMap?: number;
}

/**
 * A YAML text that cannot be read. Its message names the position and the kind of error only:
 * js-yaml's own messages quote the offending source lines, and some name an alias or a tag from
 * the text; a Secret's token may stand there (a malformed `headers` value, say), so none of it
 * leaves this module.
 */
export class YamlProblem extends Error {
  override name = "YamlProblem";
}

/**
 * Parses YAML (or JSON) with the YAML 1.2 core schema, js-yaml's default (no YAML 1.1 `yes`/`no`
 * booleans, no timestamps, no merge keys: https://github.com/nodeca/js-yaml), and bounds that make
 * a hostile document cheap: a size cap, duplicate keys refused (in linear time), a cap on keys per
 * map, nesting at most 100 deep (js-yaml's default), and caps on aliases and on what they expand to.
 */
export function parseBoundedYaml(text: string, limits: YamlLimits = {}): unknown {
  const documents = parseBoundedYamlDocuments(text, limits);
  if (documents.length > 1) throw new YamlProblem(`holds ${documents.length} YAML documents where one is expected`);
  return documents[0] ?? null;
}

/** Every document of a multi-document text (`---`), with the bounds of parseBoundedYaml; empty documents included as null. */
export function parseBoundedYamlDocuments(text: string, limits: YamlLimits = {}): unknown[] {
  const maxBytes = limits.maxBytes ?? MAX_YAML_BYTES;
  // UTF-8 needs at most 3 bytes per UTF-16 unit: the cheap check first, the exact one only near the limit.
  if (text.length > maxBytes || (text.length * 3 > maxBytes && new TextEncoder().encode(text).byteLength > maxBytes)) {
    throw new YamlProblem(`larger than ${maxBytes} bytes`);
  }
  try {
    const events = parseEvents(text, {});
    checkEvents(text, events, limits.maxKeysPerMap ?? MAX_KEYS_PER_MAP);
    // Refuses duplicate keys, unknown tags and unknown or too many aliases.
    return constructFromEvents(events, { source: text, maxAliases: MAX_ALIASES });
  } catch (err) {
    if (err instanceof YAMLException) throw new YamlProblem(describeYamlError(err));
    throw err;
  }
}

interface Frame {
  /** Offset of the collection's first character, for messages. */
  start: number;
  kind: "document" | "map" | "list";
  /** Key and value nodes directly inside. */
  children: number;
  /** Nodes inside, this one included, with every alias expanded. */
  size: number;
  anchor?: string;
}

/**
 * One pass over the parser's events: the key count of every map, and the size of each document
 * with its aliases expanded. An alias to a collection that is still open (a recursive alias)
 * would make the value cyclic: its size is infinite, so it is refused too.
 */
function checkEvents(text: string, events: Event[], maxKeys: number): void {
  const stack: Frame[] = [];
  let anchors = new Map<string, number>();
  let own = 0;
  const anchorOf = (e: { anchorStart: number; anchorEnd: number }) => (e.anchorStart === -1 ? undefined : text.slice(e.anchorStart, e.anchorEnd));
  const add = (size: number) => {
    const parent = stack.at(-1);
    if (parent) {
      parent.children++;
      parent.size += size;
    }
  };
  for (const e of events) {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        anchors = new Map();
        own = 0;
        stack.push({ start: 0, kind: "document", children: 0, size: 0 });
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const anchor = anchorOf(e);
        if (anchor !== undefined) anchors.set(anchor, Number.POSITIVE_INFINITY);
        stack.push({ start: e.start, kind: e.type === EVENT_ID.MAPPING ? "map" : "list", children: 0, size: 1, anchor });
        own++;
        break;
      }
      case EVENT_ID.SCALAR: {
        const anchor = anchorOf(e);
        if (anchor !== undefined) anchors.set(anchor, 1);
        add(1);
        own++;
        break;
      }
      case EVENT_ID.ALIAS:
        // An unknown anchor counts as one node: constructing the document refuses it by name.
        add(anchors.get(text.slice(e.anchorStart, e.anchorEnd)) ?? 1);
        break;
      case EVENT_ID.POP: {
        const frame = stack.pop()!;
        if (frame.kind === "map" && frame.children / 2 > maxKeys) {
          throw new YamlProblem(`the map at ${at(text, frame.start)} has ${frame.children / 2} keys; at most ${maxKeys} are allowed`);
        }
        if (frame.kind === "document" && frame.size - own > MAX_ALIAS_NODES) {
          throw new YamlProblem(Number.isFinite(frame.size) ? `cannot be expanded: its aliases add more than ${MAX_ALIAS_NODES} nodes` : "cannot be expanded: an alias refers to a collection that contains it");
        }
        if (frame.anchor !== undefined) anchors.set(frame.anchor, frame.size);
        add(frame.size);
        break;
      }
    }
  }
}

function at(text: string, offset: number): string {
  const { line, column } = lineColumn(text, offset);
  return `line ${line}, column ${column}`;
}

/** `<kind> at line L, column C`: js-yaml's reason without the source snippet, the name or tag it quotes, nor the file. */
export function describeYamlError(err: YAMLException): string {
  // Reasons name what they quote after a space and a quote, `!<` or `: ` (an alias, a tag, a handle).
  const kind = err.reason === "duplicated mapping key" ? "duplicate map key" : err.reason.replace(/(?: "| !<|: ).*$/s, "");
  return err.mark ? `${kind} at line ${err.mark.line + 1}, column ${err.mark.column + 1}` : kind;
}
