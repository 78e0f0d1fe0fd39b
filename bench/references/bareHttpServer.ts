// The floor of any Node HTTP service on this machine: a bare node:http server in a process of its
// own that answers every request with the same bytes the query API answered for one order, with
// the same headers, and does nothing else (no routing, authentication, store or serialisation).
// What separates the query API from it is the query API's own work; what separates it from an
// ioredis loop is HTTP itself: a request and a response, each its own system call on its own
// connection, where a Redis client pipelines many commands into one write.
//   node --import tsx bench/references/bareHttpServer.ts '<{"body": "...", "headers": {...}}>'
// prints {"listening": port} once it accepts connections, and stops on SIGTERM.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface BareHttpAnswer {
  body: string;
  headers: Record<string, string>;
}

export interface BareHttpServer {
  port: number;
  stop(): Promise<void>;
}

/** Starts the server in a process of its own on a free loopback port. */
export function startBareHttpServer(repoRoot: string, answer: BareHttpAnswer): Promise<BareHttpServer> {
  const script = path.join(repoRoot, 'bench', 'references', 'bareHttpServer.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(answer)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const port = (JSON.parse(line) as { listening?: number }).listening;
      if (port) {
        resolve({
          port,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error(`the bare HTTP server exited before listening: ${stderr.trim()}`)));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const answer = JSON.parse(process.argv[2] ?? 'null') as BareHttpAnswer | null;
  if (!answer) {
    console.error("usage: bareHttpServer.ts '<{\"body\": ..., \"headers\": {...}}>'");
    process.exit(2);
  }
  const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) };
  // The query API's keep-alive timeout, so the generator's connections are kept the same way.
  const server = http.createServer({ keepAliveTimeout: 72_000 }, (_request, response) => {
    response.writeHead(200, headers);
    response.end(answer.body);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ listening: typeof address === 'object' && address ? address.port : 0 })}\n`);
  });
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
