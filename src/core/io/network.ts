/**
 * A byte-stream network, shaped like TCP: per-connection FIFO, no message boundaries (a frame may
 * arrive in many chunks, or several frames in one), and connections that can break at any byte.
 *
 * Addresses are `host:port` strings. In the simulator each node owns a host name (`n1`, `n2`, ...)
 * and every random delay, partition and reset comes from the seed.
 */
export interface Network {
  /** Starts accepting connections. Rejects with NetError('EADDRINUSE') when the port is taken. */
  listen(host: string, port: number, onConnection: (connection: Connection) => void): Promise<Listener>;
  /** Opens a connection. Rejects with NetError('ECONNREFUSED' | 'ETIMEDOUT' | ...). */
  connect(host: string, port: number, options?: { timeoutMs?: number }): Promise<Connection>;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  /** Stops accepting; established connections are left alone. */
  close(): Promise<void>;
}

export interface ConnectionHandlers {
  /** Bytes in order. The chunk is owned by the handler. */
  onData(chunk: Uint8Array): void;
  /** Called exactly once, when the connection is gone (after end, destroy or a fault). */
  onClose(error: NetError | undefined): void;
  /** Called when buffered outgoing bytes drop below the high-water mark again. */
  onDrain?(): void;
}

export interface Connection {
  /** Stable for the connection's life; unique within one process or one simulation. */
  readonly id: string;
  readonly localAddress: string;
  readonly remoteAddress: string;
  /** Must be called once, synchronously after the connection is handed out; data is held until then. */
  setHandlers(handlers: ConnectionHandlers): void;
  /** Queues bytes. Returns false when the outgoing buffer is above its high-water mark (wait for onDrain). */
  write(data: Uint8Array): boolean;
  /** Bytes queued but not yet handed to the network. */
  bufferedBytes(): number;
  /** Half-closes after queued bytes are sent. */
  end(): void;
  /** Closes at once, dropping queued bytes. */
  destroy(): void;
  /**
   * Stops delivering incoming bytes (back-pressure on the peer). While paused no onData is called;
   * what the peer sends is held, in the kernel's buffers on a real socket, so the peer's writes back
   * up as TCP's window closes. The chunk being delivered is finished, and what the runtime had
   * already read (tens of KiB on a real socket) may still arrive. The peer's end or reset may be
   * noticed only once reading resumes; a local end or destroy works as always. Idempotent.
   */
  pauseReading(): void;
  /** Delivers the held bytes, in order, and whatever follows. Idempotent. */
  resumeReading(): void;
}

export type NetErrorCode =
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'EADDRINUSE'
  | 'EPIPE'
  | 'EOTHER';

export class NetError extends Error {
  constructor(
    readonly code: NetErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'NetError';
  }
}

/** Splits 'host:port'. Throws a plain Error naming the input when it is not of that form. */
export function parseHostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = colon > 0 ? address.slice(0, colon) : '';
  const portText = colon > 0 ? address.slice(colon + 1) : '';
  const port = Number(portText);
  if (host.length === 0 || !/^\d+$/.test(portText) || port < 0 || port > 65535) {
    throw new Error(`expected HOST:PORT with a port from 0 to 65535, got '${address}'`);
  }
  return { host, port };
}
