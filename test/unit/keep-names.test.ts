import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// wrangler.toml builds with keep_names = false: in the deployed bundle every function and class
// has a minified name, while tests (bundled by vite) still see the real ones. So code that reads
// a name at run time would pass here and break in production; it is refused at the source.
const READS_A_NAME = /new\.target\.name|\.constructor\.name|\b[A-Z]\w*(?:Error|Object)\.name\b/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
}

describe("keep_names = false", () => {
  it("no source file reads a function's or class's own name", () => {
    const offenders = sources("src").filter((file) => READS_A_NAME.test(readFileSync(file, "utf8")));
    expect(offenders).toEqual([]);
  });
});
