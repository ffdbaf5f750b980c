import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
it("runs in workerd", async () => {
  await env.CONFIG.put("x", "y");
  const res = await exports.default.fetch("http://x/");
  expect(await res.text()).toBe("ok y");
});
