import { beforeEach, describe, expect, it } from "vitest";
import { captureBox, clearConfig, fixtureEvent, putAlert, putProvider, sendSigned } from "../support/workers";

describe("spine: signed event in, delivery out", () => {
  beforeEach(clearConfig);

  it("delivers an accepted event to a generic provider", async () => {
    const box = captureBox();
    await putProvider("p", { type: "generic", address: box.url });
    await putAlert("a", { providerRef: { name: "p" } });
    const res = await sendSigned(fixtureEvent());
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, duplicate: false });
    const [req] = await box.waitFor(1);
    expect(req.method).toBe("POST");
    expect(req.headers["gotk-component"]).toBe("kustomize-controller");
    expect(JSON.parse(req.body).metadata).toEqual({ cluster: "test", revision: "main@sha1:0123456789abcdef0123456789abcdef01234567" });
  });
});
