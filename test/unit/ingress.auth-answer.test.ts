import { describe, expect, it } from "vitest";
import { hmacHex } from "../../src/lib/crypto";
import { parseIngressKeysValue } from "../../src/env";
import { verifyIngress } from "../../src/ingress/keys";

const parsed = parseIngressKeysValue(JSON.stringify({ known: "known-cluster-key" }));
const KEYS = "keys" in parsed ? parsed.keys : undefined;
const body = new TextEncoder().encode('{"message":"x"}');

async function answer(cluster: string, headers: Record<string, string>): Promise<string> {
  try {
    await verifyIngress(KEYS, cluster, new Headers(headers), body);
  } catch (err) {
    return `${(err as { status?: number }).status} ${(err as Error).message}`;
  }
  return "accepted";
}

describe("the 401 of /hook does not tell whether a cluster is configured", () => {
  it("answers an unknown cluster exactly as a wrong key, for signatures and bearer keys", async () => {
    const wrongSignature = { "x-signature": `sha256=${await hmacHex("SHA-256", "not-the-key", body)}` };
    expect(await answer("unknown", wrongSignature)).toBe(await answer("known", wrongSignature));
    expect(await answer("unknown", { authorization: "Bearer not-the-key" })).toBe(await answer("known", { authorization: "Bearer not-the-key" }));
    expect(await answer("unknown", {})).toBe(await answer("known", {}));
    expect(await answer("unknown", wrongSignature)).toMatch(/^401 /);
    expect(await answer("known", { authorization: "Bearer known-cluster-key" })).toBe("accepted");
  });
});
