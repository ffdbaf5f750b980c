import type { CapturedRequest, ProgrammedResponse } from "./capture-server";

/** A box of the capture server seen from a test (Node or workerd): its URL, script and requests. */
export class CaptureBox {
  readonly url: string;
  constructor(private readonly base: string, readonly id = crypto.randomUUID()) {
    this.url = `${base}/box/${this.id}`;
  }

  async program(script: ProgrammedResponse[]): Promise<void> {
    await (await fetch(`${this.base}/_boxes/${this.id}`, { method: "PUT", body: JSON.stringify(script) })).text();
  }

  async requests(): Promise<CapturedRequest[]> {
    return (await fetch(`${this.base}/_boxes/${this.id}`)).json();
  }

  /** Polls until at least `count` requests arrived (or throws after `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 10_000): Promise<CapturedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = await this.requests();
      if (got.length >= count) return got;
      if (Date.now() > deadline) throw new Error(`expected ${count} requests in box ${this.id}, got ${got.length}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
