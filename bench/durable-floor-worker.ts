import { DurableObject } from "cloudflare:workers";

/**
 * The least a durable 202 can cost on this runtime: read the body, one Durable Object call that
 * inserts it as one SQLite row, answer. The relay's ingress does this plus verification, parsing,
 * dedup and routing (src/ingress/hook.ts), so its ratio to the bare Worker can only approach this
 * Worker's ratio (bench/run.ts reports both).
 */
export class Intake extends DurableObject<FloorEnv> {
  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)");
  }

  append(body: string): number {
    return this.ctx.storage.sql.exec<{ seq: number }>("INSERT INTO log (body) VALUES (?) RETURNING seq", body).one().seq;
  }
}

interface FloorEnv {
  INTAKE: DurableObjectNamespace<Intake>;
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const body = await request.text();
    await env.INTAKE.get(env.INTAKE.idFromName("bench")).append(body);
    return new Response('{"accepted":1,"duplicate":false}', { status: 202, headers: { "content-type": "application/json" } });
  },
} satisfies ExportedHandler<FloorEnv>;
