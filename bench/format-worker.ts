import type { ProviderType } from "../src/flux/manifests";
import { notifierFor } from "../src/notifiers/registry";
import type { NotifyContext } from "../src/notifiers/types";

/**
 * Runs a formatter `n` times inside workerd (POST /?type=<type>&n=<n>, body: NotifyContext[]).
 * workerd freezes the clock during execution, so the caller times the request from outside and
 * subtracts an n=0 request. Exists because Node's WebCrypto hops to a thread pool per call while
 * workerd's is a direct BoringSSL call: formatters that hash or sign are only comparable here.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const notifier = notifierFor((url.searchParams.get("type") ?? "") as ProviderType);
    const contexts = (await request.json()) as NotifyContext[];
    if (!notifier || !Array.isArray(contexts) || contexts.length === 0) return new Response("unknown type or no contexts", { status: 400 });
    const n = Number(url.searchParams.get("n") ?? "0");
    for (let i = 0; i < n; i++) await notifier.format(contexts[i % contexts.length]);
    return new Response("ok");
  },
} satisfies ExportedHandler;
