/** Structured JSON logs, one object per line (Workers Logs and `wrangler tail` index the fields). */
export function log(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/**
 * The info line of a hot path (one per event or per delivery): at most `perSecond` lines one by
 * one, the rest counted per label and written as one summary line by `flush`, which the owner
 * calls at the end of a unit of work or which runs by itself at the first line of a later second.
 * At hundreds of events per second one line each would cost more than the work it reports
 * (bench/results/analysis.md); warnings and errors never go through a sampler.
 */
export class SampledLog {
  private second = 0;
  private logged = 0;
  private notLogged = new Map<string, number>();

  constructor(private readonly msg: string, private readonly summary: string, private readonly perSecond: number) {}

  /** `context`: the fields a summary written at this call carries (who the lines were about). */
  info(label: string, fields: Record<string, unknown>, context: Record<string, unknown> = {}, now = Date.now()): void {
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.flush(context);
      this.second = second;
      this.logged = 0;
    }
    if (this.logged++ < this.perSecond) log("info", this.msg, fields);
    else this.notLogged.set(label, (this.notLogged.get(label) ?? 0) + 1);
  }

  /** Writes the summary of the lines not logged since the last one, if any. */
  flush(context: Record<string, unknown> = {}): void {
    if (this.notLogged.size === 0) return;
    log("info", this.summary, { ...context, notLogged: Object.fromEntries(this.notLogged) });
    this.notLogged = new Map();
  }
}
