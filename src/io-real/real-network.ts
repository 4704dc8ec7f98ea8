import net from 'node:net';
import { connectionWriteBufferBytesHighWater } from '../core/limits.ts';
import {
  NetError,
  type Connection,
  type ConnectionHandlers,
  type Listener,
  type Network,
  type NetErrorCode,
} from '../core/io/network.ts';

function toNetError(error: unknown, what: string): NetError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const known: NetErrorCode[] = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EADDRINUSE', 'EPIPE'];
  const mapped = known.find((k) => k === code) ?? 'EOTHER';
  return new NetError(mapped, `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

let connectionSeq = 0;

class RealConnection implements Connection {
  readonly id = `tcp#${connectionSeq++}`;
  readonly localAddress: string;
  readonly remoteAddress: string;
  private handlers: ConnectionHandlers | null = null;
  private lastError: NetError | undefined;
  private closed = false;
  private readingPaused = false;

  constructor(private readonly socket: net.Socket) {
    this.localAddress = `${socket.localAddress}:${socket.localPort}`;
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.pause();
    socket.on('error', (error) => {
      this.lastError = toNetError(error, `connection ${this.remoteAddress}`);
    });
    socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.handlers?.onClose(this.lastError);
    });
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
    this.socket.on('data', (chunk: Buffer) => handlers.onData(chunk));
    this.socket.on('end', () => this.socket.end());
    this.socket.on('drain', () => handlers.onDrain?.());
    if (!this.readingPaused) this.socket.resume();
  }

  // socket.pause() stops 'data' events; node then stops reading from the kernel once its own
  // readable buffer (readableHighWaterMark) is full, so the kernel's receive buffer fills and TCP
  // closes the window on the peer.
  pauseReading(): void {
    this.readingPaused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    if (this.handlers !== null) this.socket.resume();
  }

  write(data: Uint8Array): boolean {
    if (this.socket.destroyed) return false;
    this.socket.write(data);
    return this.socket.writableLength < connectionWriteBufferBytesHighWater;
  }

  bufferedBytes(): number {
    return this.socket.writableLength;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The network interface over node:net (TCP, Nagle off). */
export class RealNetwork implements Network {
  listen(host: string, port: number, onConnection: (connection: Connection) => void): Promise<Listener> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => onConnection(new RealConnection(socket)));
      server.once('error', (error) => reject(toNetError(error, `listen ${host}:${port}`)));
      server.listen({ host, port, exclusive: true }, () => {
        const address = server.address() as net.AddressInfo;
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        resolve({
          host,
          port: address.port,
          // server.close() stops accepting at once, but its callback waits for every established
          // connection to end; the interface promises to leave those alone, so do not wait for it.
          close: async () => void server.close(),
        });
      });
    });
  }

  connect(host: string, port: number, options?: { timeoutMs?: number }): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timeoutMs = options?.timeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new NetError('ETIMEDOUT', `connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(toNetError(error, `connect to ${host}:${port}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RealConnection(socket));
      });
    });
  }
}
