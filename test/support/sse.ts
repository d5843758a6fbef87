/**
 * Reads a GraphQL subscription's SSE response (graphql-yoga's format: `event: next` with a JSON
 * execution result, then `event: complete`), event by event, with a deadline per event.
 */
export interface SseEvent {
  event: string;
  data: { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] } | undefined;
  /** When the event arrived (Date.now()). */
  at: number;
}

export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';

  constructor(response: Response) {
    if (!response.headers.get('content-type')?.startsWith('text/event-stream')) throw new Error(`not an event stream: ${response.status} ${response.headers.get('content-type')}`);
    this.reader = response.body!.getReader();
  }

  /** The next event (keep-alive comments skipped); undefined when the stream ended. */
  async next(timeoutMs = 10_000): Promise<SseEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const lines = block.split('\n').filter((l) => !l.startsWith(':'));
        if (lines.length === 0) continue;
        const field = (name: string) => lines.filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trimStart()).join('\n');
        const data = field('data');
        return { event: field('event') || 'message', data: data ? JSON.parse(data) : undefined, at: Date.now() };
      }
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no SSE event within ${timeoutMs} ms`)), Math.max(0, deadline - Date.now())))),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) return undefined;
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  /** Reads events until one satisfies `accept`; returns it (fails after the deadline). */
  async until(accept: (event: SseEvent) => boolean, timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = await this.next(Math.max(1, deadline - Date.now()));
      if (!event) throw new Error('the stream ended before the expected event');
      if (accept(event)) return event;
    }
  }

  /** The client goes away. */
  close(): Promise<void> {
    return this.reader.cancel();
  }
}
