/**
 * Calls across a MessagePort (a worker's parentPort, a Worker, one end of a MessageChannel), both ways:
 * each side handles named methods and calls the other's. One primitive for every thread boundary in
 * Lamina, so replies, transfers, errors and shutdown are handled in one place.
 */
import type { TransferListItem } from 'node:worker_threads';
import { UnavailableError } from '../errors.js';
import { fromWireError, toWireError, type WireError } from './wire-error.js';

/** The part of MessagePort and Worker that a peer uses. */
export interface PortLike {
  postMessage(value: unknown, transferList?: readonly TransferListItem[]): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  /** A MessagePort's 'close': either end was closed. (A Worker's end is its 'exit', which its owner handles.) */
  on(event: 'close', listener: () => void): unknown;
}

type Handler = (...args: never[]) => unknown;

interface CallMessage {
  peer: 'call';
  id: number;
  method: string;
  args: unknown[];
}

interface ReplyMessage {
  peer: 'reply';
  id: number;
  value?: unknown;
  error?: WireError;
}

/** A handler's result whose buffers move to the caller instead of being copied. */
export class Transferring<T> {
  constructor(
    readonly value: T,
    readonly transfer: TransferListItem[],
  ) {}
}

export class PortPeer {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  private readonly handlers = new Map<string, Handler>();
  private closedBy: Error | undefined;

  constructor(
    private readonly port: PortLike,
    /** Names the other side in errors: "the consumers thread", "the embedded log's host". */
    private readonly otherSide: string,
  ) {
    port.on('message', (message) => this.receive(message as CallMessage | ReplyMessage));
    port.on('close', () => this.close('its port closed'));
  }

  handle<A extends unknown[]>(method: string, handler: (...args: A) => unknown): void {
    this.handlers.set(method, handler as Handler);
  }

  call<T>(method: string, args: unknown[] = [], transfer: TransferListItem[] = []): Promise<T> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      try {
        this.port.postMessage({ peer: 'call', id, method, args } satisfies CallMessage, transfer);
      } catch (error) {
        // Arguments that cannot be cloned: nothing was sent.
        this.waiting.delete(id);
        reject(error);
      }
    });
  }

  /**
   * A call whose answer nobody waits for (id 0); it still runs in order with the calls around it. Its
   * handler has nobody to tell of a failure, so it must not fail (it is dropped if it does).
   */
  notify(method: string, args: unknown[] = []): void {
    if (!this.closedBy) this.port.postMessage({ peer: 'call', id: 0, method, args } satisfies CallMessage);
  }

  /** Fails every call still waiting, and every later one, with `reason` (the other side is gone). */
  close(reason: string): void {
    this.closedBy ??= new UnavailableError(`${this.otherSide} is gone (${reason}); the call did not complete`);
    for (const { reject } of this.waiting.values()) reject(this.closedBy);
    this.waiting.clear();
  }

  private receive(message: CallMessage | ReplyMessage): void {
    if (message.peer === 'reply') {
      const waiting = this.waiting.get(message.id);
      if (!waiting) return;
      this.waiting.delete(message.id);
      if (message.error) waiting.reject(fromWireError(message.error));
      else waiting.resolve(message.value);
      return;
    }
    void this.answer(message);
  }

  private async answer({ id, method, args }: CallMessage): Promise<void> {
    let reply: ReplyMessage;
    let transfer: TransferListItem[] = [];
    try {
      const handler = this.handlers.get(method);
      if (!handler) throw new Error(`no handler for '${method}' on this side of the port`);
      let value = await (handler as (...a: unknown[]) => unknown)(...args);
      if (value instanceof Transferring) {
        transfer = value.transfer;
        value = value.value;
      }
      reply = { peer: 'reply', id, value };
    } catch (error) {
      reply = { peer: 'reply', id, error: toWireError(error) };
    }
    if (id === 0 || this.closedBy) return;
    try {
      this.port.postMessage(reply, transfer);
    } catch (error) {
      // A result that cannot be cloned: the caller gets why instead of waiting for ever.
      this.port.postMessage({ peer: 'reply', id, error: toWireError(error) } satisfies ReplyMessage);
    }
  }
}
