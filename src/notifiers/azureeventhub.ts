import { encodeFluxEvent } from "../flux/event";
import { hmac } from "../lib/crypto";
import { collectProblems, AddressError } from "./kit/validate";
import { base64 } from "./kit/http-auth";
import type { Notifier, NotifyContext, OutboundRequest, ProviderSettings } from "./types";
import { FormatError } from "./types";

/**
 * `azureeventhub`: Flux sends one AMQP message through the azeventhubs SDK, which Workers cannot
 * speak; the Event Hubs REST send endpoint (`POST https://<namespace>/<hub>/messages`) delivers
 * the same body (the notified event, as the generic webhook sends it) to the same hub.
 *
 * Two address forms, as in Flux: a connection string (it contains `SharedAccessKey`), signed here
 * into a SAS token; or the hub name, with the namespace in `spec.channel` and an Azure AD JWT in
 * the Secret's `token`. Workload identity (`spec.serviceAccountName`) needs Kubernetes and is not
 * available to the relay.
 */
export const azureEventHub: Notifier = {
  type: "azureeventhub",
  validate: (s) => collectProblems(() => target(s)),
  format: formatAzureEventHub,
};

/** How long a SAS token signed for one request stays valid: one attempt plus clock skew. */
export const SAS_TOKEN_TTL_SECONDS = 3600;

const REST_API_VERSION = "2014-01";

interface Target {
  /** Fully qualified namespace host, `<name>.servicebus.windows.net`. */
  namespace: string;
  hub: string;
  auth: { kind: "jwt"; token: string } | { kind: "sas"; keyName: string; key: string } | { kind: "signature"; signature: string };
}

async function formatAzureEventHub({ event, settings, now }: NotifyContext): Promise<OutboundRequest> {
  const { namespace, hub, auth } = target(settings);
  const resource = `https://${namespace}/${encodeURIComponent(hub)}`;
  let authorization: string;
  if (auth.kind === "jwt") authorization = `Bearer ${auth.token}`;
  else if (auth.kind === "signature") authorization = auth.signature;
  else authorization = await sasToken(resource, auth.keyName, auth.key, Math.floor(now / 1000) + SAS_TOKEN_TTL_SECONDS);
  return {
    method: "POST",
    url: `${resource}/messages?api-version=${REST_API_VERSION}`,
    // The REST content type becomes the message's content-type property; the documented atom+xml
    // would mislabel a JSON body for consumers, and the service accepts any type.
    headers: { Authorization: authorization, "Content-Type": "application/json" },
    body: encodeFluxEvent(event),
  };
}

/**
 * A Service Bus SAS token (learn.microsoft.com "Generate SAS token"): HMAC-SHA256, keyed by the
 * key's text, over the URL-encoded resource URI, a newline and the expiry in epoch seconds.
 */
export async function sasToken(resourceUri: string, keyName: string, key: string, expiry: number): Promise<string> {
  const sr = encodeURIComponent(resourceUri);
  const sig = base64(await hmac("SHA-256", key, `${sr}\n${expiry}`));
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiry}&skn=${keyName}`;
}

function target(s: ProviderSettings): Target {
  if (!s.address) throw new AddressError("no address: set spec.address to the event hub name, or the Secret's address key to a connection string");
  const serviceAccount = s.manifest.spec.serviceAccountName;
  if (s.address.includes("SharedAccessKey")) {
    if (s.token) throw new FormatError("a token and a connection-string address (SAS authentication) cannot be set at the same time: remove one");
    if (serviceAccount) throw new FormatError("spec.serviceAccountName and a connection-string address (SAS authentication) cannot be set at the same time");
    return fromConnectionString(s.address);
  }
  if (serviceAccount && s.token) throw new FormatError("spec.serviceAccountName and token authentication cannot be set at the same time");
  if (!s.token) {
    throw new FormatError(
      "no token: set the Secret's token key to an Azure AD JWT for Event Hubs, or use a connection string as address (workload identity is not available to the relay)",
    );
  }
  if (!s.channel) throw new FormatError("no Event Hubs namespace: set spec.channel to the namespace name");
  if (!/^[A-Za-z0-9.-]+$/.test(s.channel)) throw new FormatError("invalid spec.channel: the Event Hubs namespace must be a host name such as fluxns or fluxns.servicebus.windows.net");
  // Flux appends the public-cloud suffix unless the channel is already fully qualified (the
  // China/US-government suffixes come from the controller's AZURE_AUTHORITY_HOST, unknown here).
  const namespace = s.channel.includes(".servicebus.") ? s.channel : `${s.channel}.servicebus.windows.net`;
  return { namespace, hub: s.address, auth: { kind: "jwt", token: s.token } };
}

/** Parses a connection string as azeventhubs does: `;`-separated `Key=Value`, keys case-insensitive. */
function fromConnectionString(address: string): Target {
  const props = new Map<string, string>();
  for (const part of address.split(";")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    if (eq < 0) throw new AddressError("invalid address: the connection string has a part without '='");
    props.set(part.slice(0, eq).toLowerCase(), part.slice(eq + 1));
  }
  const endpoint = props.get("endpoint");
  if (!endpoint) throw new AddressError("invalid address: the connection string has no Endpoint");
  let namespace: string;
  try {
    namespace = new URL(endpoint).host;
  } catch {
    throw new AddressError("invalid address: the connection string's Endpoint is not a URL (expected sb://<namespace>.servicebus.windows.net/)");
  }
  if (!namespace) throw new AddressError("invalid address: the connection string's Endpoint has no host");
  const hub = props.get("entitypath");
  if (!hub) throw new AddressError("invalid address: the connection string has no EntityPath (the event hub name)");
  const signature = props.get("sharedaccesssignature");
  if (signature) return { namespace, hub, auth: { kind: "signature", signature } };
  const keyName = props.get("sharedaccesskeyname");
  const key = props.get("sharedaccesskey");
  if (!keyName) throw new AddressError("invalid address: the connection string has no SharedAccessKeyName");
  if (!key) throw new AddressError("invalid address: the connection string has no SharedAccessKey");
  return { namespace, hub, auth: { kind: "sas", keyName, key } };
}
