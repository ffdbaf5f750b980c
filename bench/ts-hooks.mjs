// Loaded with `node --import`: lets Node run the project's TypeScript as-is. Source files import
// each other without extensions (bundler resolution, as wrangler and vitest resolve them), which
// Node's own resolver refuses, so a relative specifier that does not resolve is retried as `.ts`.
import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (err?.code !== "ERR_MODULE_NOT_FOUND" || !/^\.\.?\//.test(specifier)) throw err;
      for (const candidate of [`${specifier}.ts`, `${specifier}/index.ts`]) {
        try {
          return nextResolve(candidate, context);
        } catch {
          // try the next form
        }
      }
      throw err;
    }
  },
});
