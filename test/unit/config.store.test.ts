import { beforeEach, describe, expect, it } from "vitest";
import { invalidateConfig, loadConfig } from "../../src/config/store";

/** Prefixes one snapshot lists: Providers, Alerts, silences. */
const LISTS_PER_READ = 3;

/** A KV namespace holding one Provider, counting list calls and answering gets after `delayMs`. */
function fakeKv(delayMs = 0) {
  const values = new Map([["providers/flux-system/a", JSON.stringify({ apiVersion: "notification.toolkit.fluxcd.io/v1beta3", kind: "Provider", metadata: { name: "a" }, spec: { type: "generic", address: "http://127.0.0.1:9/" } })]]);
  const kv = {
    lists: 0,
    async list({ prefix }: { prefix: string }) {
      kv.lists++;
      return { keys: [...values.keys()].filter((k) => k.startsWith(prefix)).map((name) => ({ name })), list_complete: true };
    },
    async get(key: string) {
      await new Promise((r) => setTimeout(r, delayMs));
      return values.get(key) ?? null;
    },
  };
  return kv;
}

const envWith = (kv: ReturnType<typeof fakeKv>, ttl: string) => ({ CONFIG: kv, CONFIG_TTL_SECONDS: ttl }) as unknown as Env;

describe("loadConfig", () => {
  beforeEach(invalidateConfig);

  it("lets one request re-read an expired snapshot while the others keep the previous one", async () => {
    const kv = fakeKv(20);
    const env = envWith(kv, "30");
    const first = await loadConfig(env, 0);
    const readsBefore = kv.lists;
    const after = 31_000;
    const [a, b, c] = await Promise.all([loadConfig(env, after), loadConfig(env, after), loadConfig(env, after)]);
    // One reload (a list per prefix), not three; the other two answered from the previous snapshot.
    expect(kv.lists - readsBefore).toBe(LISTS_PER_READ);
    expect([a, b, c].filter((s) => s === first)).toHaveLength(2);
  });

  it("reads KV on every call when the TTL is 0, concurrent or not", async () => {
    const kv = fakeKv(5);
    const env = envWith(kv, "0");
    await loadConfig(env, 0);
    await Promise.all([loadConfig(env, 1), loadConfig(env, 1)]);
    expect(kv.lists).toBe(3 * LISTS_PER_READ);
  });

  it("does not keep a snapshot read before an admin write invalidated it", async () => {
    const kv = fakeKv(20);
    const env = envWith(kv, "30");
    const stale = loadConfig(env, 0);
    invalidateConfig();
    await stale;
    const readsBefore = kv.lists;
    await loadConfig(env, 1);
    expect(kv.lists - readsBefore).toBe(LISTS_PER_READ);
  });
});
