import { describe, expect, it } from "vitest";
import { generic } from "../../src/notifiers/generic";
import { genericHmac } from "../../src/notifiers/generic-hmac";
import type { Notifier } from "../../src/notifiers/types";
import { expectLeaksNoSecret, expectStatusTable } from "../support/notifier-kit";
import { itFormatsVectors, loadVectors, notifiedEvent, vectorSettings } from "../support/vectors";
import { problemMessages } from "../../src/notifiers/kit/validate";

const cases: [string, Notifier][] = [["generic", generic], ["generic-hmac", genericHmac]];

describe.each(cases)("%s vectors", (type, notifier) => {
  itFormatsVectors(notifier, loadVectors(type), { now: Date.parse("2026-01-15T10:20:30Z") });
});

describe("settings validation", () => {
  const base = vectorSettings(loadVectors("generic-hmac")[0]);
  it("generic needs an absolute URL (case 52)", () => {
    expect(problemMessages(generic.validate({ ...base, address: "" }))[0]).toMatch(/no address/);
    expect(problemMessages(generic.validate({ ...base, address: "not a url" }))[0]).toMatch(/not an absolute URL/);
  });
  it("generic-hmac needs a token", () => {
    expect(problemMessages(genericHmac.validate({ ...base, token: "" }))).toEqual([expect.stringMatching(/HMAC key is empty/)]);
  });
});

describe("shared kit", () => {
  it("generic classifies by the shared table", () => expectStatusTable(generic));
  it("generic-hmac leaks no secret", async () => {
    const v = loadVectors("generic-hmac")[1];
    const settings = vectorSettings(v);
    await expectLeaksNoSecret(genericHmac, { event: notifiedEvent(v), settings, now: 0 }, [settings.token, "s3cr3t"]);
  });
});
