/**
 * Reads a body up to `limit` bytes. `overflow: "truncate"` keeps the first `limit` bytes and stops
 * reading (a destination's answer); `"throw"` calls `onOverflow` as soon as the body is longer (an
 * ingress request, refused with 413). `timeoutMs` cancels a body that trickles in too slowly.
 */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  options: { overflow: "truncate" } | { overflow: "throw"; onOverflow: () => Error },
  timeoutMs?: number,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const deadline = timeoutMs === undefined ? undefined : setTimeout(() => reader.cancel().catch(() => {}), timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > limit) {
        await reader.cancel().catch(() => {});
        if (options.overflow === "throw") throw options.onOverflow();
        chunks.push(value.subarray(0, limit - size));
        size = limit;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (deadline !== undefined) clearTimeout(deadline);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
