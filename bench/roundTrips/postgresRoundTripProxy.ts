// A TCP proxy in front of Postgres that counts protocol round trips: how many times a client sent
// something after having heard from the server, i.e. how many times it had to wait for an answer
// before it could go on. Statements pipelined back to back (sent before any answer came) are one
// round trip; the same statements awaited one by one are one each. Counted from the wire, so it
// is a count of what a client does, not an estimate from its code.
//
// The connection's start-up (startup message, authentication, up to the first ReadyForQuery) is
// counted apart (`connections`), and so is a bare Terminate: they belong to the pool, not to the
// statements. Plaintext only: the proxy reads the messages' framing (type byte, int32 length).
// Run it in the same process as the client it counts: the client's back-to-back writes are then
// all in the socket before the proxy's event loop reads any of them.
import net from 'node:net';

export interface RoundTripCount {
  /** Round trips on connections past their start-up. */
  roundTrips: number;
  /** Connections opened (each with a start-up of its own, not in `roundTrips`). */
  connections: number;
}

/** Splits a byte stream into protocol messages; the first `untyped` messages have no type byte. */
class MessageFraming {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private untyped: number) {}

  /** The type bytes of the messages completed by `chunk` ('' for an untyped one). */
  push(chunk: Buffer): string[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const types: string[] = [];
    for (;;) {
      const typed = this.untyped === 0;
      const header = typed ? 5 : 4;
      if (this.pending.length < header) break;
      const length = this.pending.readInt32BE(typed ? 1 : 0) + (typed ? 1 : 0);
      if (this.pending.length < length) break;
      types.push(typed ? String.fromCharCode(this.pending[0]!) : '');
      if (!typed) this.untyped--;
      this.pending = this.pending.subarray(length);
    }
    return types;
  }
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

export class PostgresRoundTripProxy {
  private readonly sockets = new Set<net.Socket>();
  private count: RoundTripCount = { roundTrips: 0, connections: 0 };

  private constructor(private readonly server: net.Server, readonly host: string, readonly port: number) {}

  /** Listens on a free port of 127.0.0.1 and forwards every connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<PostgresRoundTripProxy> {
    let proxy: PostgresRoundTripProxy | undefined;
    const server = net.createServer((client) => proxy!.forward(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new PostgresRoundTripProxy(server, '127.0.0.1', (server.address() as net.AddressInfo).port);
    return proxy;
  }

  /** The counts so far; `since(earlier)` gives what happened after `earlier` was taken. */
  snapshot(): RoundTripCount {
    return { ...this.count };
  }

  since(earlier: RoundTripCount): RoundTripCount {
    return { roundTrips: this.count.roundTrips - earlier.roundTrips, connections: this.count.connections - earlier.connections };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: net.Socket, target: { host: string; port: number }): void {
    const server = net.connect(target.port, target.host);
    client.setNoDelay(true);
    server.setNoDelay(true);
    for (const socket of [client, server]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        server.destroy();
      });
    }
    // The client's start-up message has no type byte; nothing else it sends lacks one.
    const fromClient = new MessageFraming(1);
    const fromServer = new MessageFraming(0);
    let first = true;
    let ready = false;
    let heardFromServer = false;
    client.on('data', (chunk: Buffer) => {
      // SSL or GSS negotiation would encrypt what follows (a cancel request is harmless: it is
      // the whole of its connection).
      if (first && encryptionRequest(chunk)) {
        client.destroy();
        server.destroy();
        return;
      }
      first = false;
      const types = fromClient.push(chunk);
      if (ready && heardFromServer && types.some((type) => type !== 'X')) {
        this.count.roundTrips++;
        heardFromServer = false;
      }
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      const types = fromServer.push(chunk);
      if (!ready && types.includes('Z')) {
        ready = true;
        this.count.connections++;
      }
      if (ready) heardFromServer = true;
      client.write(chunk);
    });
    client.on('end', () => server.end());
    server.on('end', () => client.end());
  }
}

/** The client asks for SSL or GSS encryption instead of sending its startup message. */
function encryptionRequest(chunk: Buffer): boolean {
  return chunk.length >= 8 && chunk.readInt32BE(0) === 8 && [SSL_REQUEST, GSSENC_REQUEST].includes(chunk.readInt32BE(4));
}
