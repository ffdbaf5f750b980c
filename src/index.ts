export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    return new Response("ok " + (await env.CONFIG.get("x")));
  },
};
export class ProviderObject {}
export class DedupObject {}
