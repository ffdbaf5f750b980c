import { describe, expect, it } from "vitest";
import { redact } from "../../src/lib/redact";

const basic = (user: string, password: string) => btoa(`${user}:${password}`);

describe("redact", () => {
  it("masks a secret as is, URL-encoded (path, query, form) and JSON-escaped (plain, PHP, Go)", () => {
    const secret = "tok/en+va lue=<&>";
    const text = [secret, encodeURIComponent(secret), encodeURI(secret), new URLSearchParams({ v: secret }).toString().slice(2), JSON.stringify(secret), JSON.stringify(secret).replace(/\//g, "\\/"), JSON.stringify(secret).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026")].join(" | ");
    const out = redact(text, [secret]);
    expect(out).not.toMatch(/tok|va lue|va%20lue|va\+lue/);
    expect(out.match(/\*{5}/g)?.length).toBeGreaterThanOrEqual(7);
  });

  it("masks a Basic credential built from a known password, and the password encoded at any offset of a base64 text", () => {
    for (const user of ["u", "us", "use", "admin"]) {
      const header = `Authorization: Basic ${basic(user, "s3cr3t-passw0rd")}`;
      const out = redact(header, ["s3cr3t-passw0rd"]);
      // Whatever the alignment, no run of base64 that encodes 3 consecutive bytes of the password survives.
      const left = out.slice("Authorization: Basic ".length).split("*****");
      for (const part of left) expect(part.length, `${user}: ${out}`).toBeLessThanOrEqual(8);
      expect(out).toContain("*****");
    }
    expect(redact(`Basic ${basic("flux", "pw-12345")}`, ["flux:pw-12345"])).toBe("Basic *****");
    const urlSafe = btoa("\u00ff\u00fe token-with-bytes").replace(/\+/g, "-").replace(/\//g, "_");
    expect(redact(urlSafe, ["token-with-bytes"])).toContain("*****");
  });

  it("masks the userinfo of every URL, known or not", () => {
    expect(redact("failed: POST https://bob:hunter2@example.com/x?y=1 and nats://tok@127.0.0.1:4222", [])).toBe("failed: POST https://*****@example.com/x?y=1 and nats://*****@127.0.0.1:4222");
    expect(redact("no credentials: https://example.com/a@b", [])).toBe("no credentials: https://example.com/a@b");
  });

  it("ignores values shorter than 4 characters and masks overlapping ones fully", () => {
    expect(redact("a key abc", ["abc"])).toBe("a key abc");
    expect(redact("secret-long-value", ["secret", "secret-long-value"])).toBe("*****");
  });
});
