import { hmacHex } from "../lib/crypto";
import { formatGeneric, generic, setHeader } from "./generic";
import type { Notifier } from "./types";
import { problems } from "./kit/validate";

/** `generic-hmac`: `generic` plus `X-Signature: sha256=<hex>` over the exact body, keyed by `token`. */
export const genericHmac: Notifier = {
  type: "generic-hmac",
  validate: (s) => [...generic.validate(s), ...problems(s.token ? undefined : "HMAC key is empty: set the token key in the Secret referenced by spec.secretRef")],
  async format(ctx) {
    const req = formatGeneric(ctx);
    setHeader(req.headers, "X-Signature", `sha256=${await hmacHex("SHA-256", ctx.settings.token, req.body)}`);
    return req;
  },
};
