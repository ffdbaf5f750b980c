/**
 * The ceiling for the ingress benchmark: the same runtime and HTTP path as the relay, doing only
 * what any Worker must (read the body, answer 202 with a small JSON body), so the ratio against it
 * is the relay's own cost.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    await request.arrayBuffer();
    return new Response('{"accepted":1,"duplicate":false}', { status: 202, headers: { "content-type": "application/json" } });
  },
} satisfies ExportedHandler;
