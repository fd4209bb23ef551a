import { connect, createServer, type Server, type Socket } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../shared/node/log.js';
import { Backend } from './backend.js';
import type { ProxyContext } from './proxy-context.js';
import { mayIntercept } from './commands.js';
import { runIntercepted, raiseStatement } from './intercept.js';
import { rewriteSql } from './rewrite.js';
import { planOfNotice } from './plan-steps.js';
import { StatementTracker } from './statement-tracker.js';
import { SystemTables, type SessionInfo } from './system-tables.js';
import { BodyReader, FrameReader, errorResponse, query, rewriteParse, type Message } from './wire.js';

const SCOPE = 'sandbox.redshift';
const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
/** Client messages held while the proxy works on a statement, before the client is paused. */
const HELD_HIGH_WATER = 1000;
/** Statements that read or reset the table statistics SVV_TABLE_INFO is made from. */
const TAKES_STATISTICS = /\b(analyze|vacuum)\b/i;
/** How long a client that the server left gets to read the server's last words. */
const CLOSE_GRACE_MS = 5000;

export interface RedshiftProxyOptions {
  /** The sandbox PostgreSQL. */
  upstreamPort: number;
  /** A superuser of that PostgreSQL: it owns the system tables and writes load errors. */
  admin: { user: string; password: string };
  /** Configured by the caller (endpoint, forcePathStyle, NodeHttpHandler). */
  s3: S3Client;
  log: Logger;
  /** 0 picks a free port. */
  port?: number;
}

export interface RunningProxy {
  port: number;
  /** A Serverless workgroup's base capacity in RPU, for SYS_SERVERLESS_USAGE in its database (128 until set). */
  setBaseCapacity(database: string, rpu: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The sandbox's Redshift cluster endpoint: a PostgreSQL wire-protocol proxy in
 * front of the real PostgreSQL. Startup and authentication pass through
 * untouched; Redshift-only SQL is rewritten; COPY from S3 and UNLOAD are
 * carried out here, on the client's own backend so transactions still hold.
 */
export async function startRedshiftProxy(options: RedshiftProxyOptions): Promise<RunningProxy> {
  const system = new SystemTables({ port: options.upstreamPort, ...options.admin }, options.log);
  options.log.addSecret(options.admin.password);
  await system.setupAll();
  const context: ProxyContext = { upstreamPort: options.upstreamPort, s3: options.s3, log: options.log, system };
  const sessions = new Set<Session>();
  const server: Server = createServer((socket) => {
    const session = new Session(socket, context, () => sessions.delete(session));
    sessions.add(session);
  });
  server.on('error', (error) => options.log.error(SCOPE, 'Proxy listener failed', error));
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  options.log.info(SCOPE, `Redshift endpoint listening on 127.0.0.1:${port}`);
  return {
    port,
    setBaseCapacity: (database, rpu) => system.setBaseCapacity(database, rpu),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      await closed;
      await system.close();
    },
  };
}

class Session {
  private started = false;
  private readonly fromClient = new FrameReader();
  private readonly fromServer = new FrameReader();
  private server: Socket | undefined;
  private backend: Backend | undefined;
  /** While true, server messages go to the proxy's own statement instead of the client. */
  private tapped = false;
  private busy = false;
  private readonly held: Message[] = [];
  /** Queries and Syncs sent that have not had their ReadyForQuery yet. */
  private awaitingReady = 0;
  private onIdle: (() => void) | undefined;
  private closed = false;
  private readonly info: SessionInfo = { user: '', database: '', pid: 0 };
  private readonly statements: StatementTracker;

  constructor(
    private readonly client: Socket,
    private readonly context: ProxyContext,
    private readonly onClose: () => void,
  ) {
    this.statements = new StatementTracker(context.system.ids, this.info, (statement) => context.system.recordStatement(statement));
    client.setNoDelay(true);
    client.on('data', (chunk) => this.guard(() => this.fromClientData(chunk)));
    client.on('error', () => this.close());
    client.on('close', () => this.close());
  }

  /** `flush` lets what the server said last (a FATAL from pg_terminate_backend) reach the client before it closes. */
  close(flush = false): void {
    if (this.closed) return;
    this.closed = true;
    if (flush) {
      this.client.end();
      setTimeout(() => this.client.destroy(), CLOSE_GRACE_MS).unref();
    } else this.client.destroy();
    this.server?.destroy();
    this.backend?.fail(new Error('connection closed'));
    this.statements.close();
    this.onClose();
  }

  /** A malformed message or an internal fault ends this connection only. */
  private guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.context.log.warn(SCOPE, 'Closing a client connection after a protocol error', error);
      if (!this.client.destroyed)
        this.client.end(
          errorResponse(`Protocol error: ${error instanceof Error ? error.message : String(error)}`, '08P01', undefined, 'FATAL'),
        );
      this.close();
    }
  }

  private fromClientData(chunk: Buffer): void {
    this.fromClient.push(chunk);
    while (!this.started) {
      const packet = this.fromClient.nextStartup();
      if (!packet) return;
      this.startup(packet);
      if (this.closed) return;
    }
    for (let message = this.fromClient.next(); message; message = this.fromClient.next()) {
      if (this.busy) {
        this.held.push(message);
        if (this.held.length >= HELD_HIGH_WATER) this.client.pause();
      } else this.handle(message);
    }
  }

  private startup(packet: Buffer): void {
    const code = packet.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSS_REQUEST) {
      // No TLS on the loopback sandbox yet; clients fall back to plain text.
      this.client.write('N');
      return;
    }
    if (code === CANCEL_REQUEST) {
      const upstream = connect({ host: '127.0.0.1', port: this.context.upstreamPort }, () => upstream.end(packet));
      upstream.on('error', () => undefined);
      this.client.end();
      return;
    }
    if (code !== PROTOCOL_3) throw new Error(`unsupported protocol version ${code >> 16}.${code & 0xffff}`);
    const reader = new BodyReader(packet.subarray(8));
    const params: Record<string, string> = {};
    for (let key = reader.cstring(); key; key = reader.cstring()) params[key] = reader.cstring();
    this.info.user = params.user ?? '';
    this.info.database = params.database || this.info.user;
    this.started = true;
    this.connectServer(packet);
  }

  private connectServer(startup: Buffer): void {
    const server = connect({ host: '127.0.0.1', port: this.context.upstreamPort });
    this.server = server;
    server.setNoDelay(true);
    this.backend = new Backend(server, this.client);
    server.on('error', (error) => {
      if (!this.client.destroyed)
        this.client.end(
          errorResponse(`The sandbox database is not reachable: ${error.message}. Start the sandbox again.`, '08006', undefined, 'FATAL'),
        );
      this.close();
    });
    server.on('close', () => this.close(true));
    server.on('data', (chunk) => this.guard(() => this.fromServerData(chunk)));
    server.write(startup);
  }

  private fromServerData(chunk: Buffer): void {
    this.fromServer.push(chunk);
    const out: Buffer[] = [];
    for (let message = this.fromServer.next(); message; message = this.fromServer.next()) {
      if (message.type === 'K') this.info.pid = message.body.readInt32BE(0);
      const plan = planOfNotice(message);
      if (plan) {
        // Plans of the proxy's own statements (COPY, UNLOAD) are not the client's.
        if (!this.tapped) this.statements.plan(plan);
        continue;
      }
      if (this.tapped) {
        this.backend!.deliver(message);
        continue;
      }
      out.push(this.statements.fromServer(message));
      if (message.type === 'Z' && this.awaitingReady > 0 && --this.awaitingReady === 0) this.onIdle?.();
    }
    if (out.length) this.relay(this.client, this.server!, out.length === 1 ? out[0]! : Buffer.concat(out));
  }

  private handle(message: Message): void {
    const server = this.server!;
    switch (message.type) {
      case 'Q': {
        const sql = new BodyReader(message.body).cstring();
        if (mayIntercept(sql)) {
          void this.aside(() => this.intercept(sql));
          return;
        }
        if (TAKES_STATISTICS.test(sql)) {
          void this.aside(
            () => this.flushStatistics(),
            () => this.pass(sql),
          );
          return;
        }
        this.pass(sql);
        return;
      }
      case 'P':
        this.relay(
          server,
          this.client,
          rewriteParse(message.body, (sql) =>
            this.statements.parse(
              message.body,
              sql,
              mayIntercept(sql)
                ? raiseStatement(
                    'COPY from S3 and UNLOAD need the simple query protocol in the sandbox (for JDBC: preferQueryMode=simple).',
                  )
                : rewriteSql(sql),
            ),
          ),
        );
        return;
      case 'B':
        this.statements.bind(message.body);
        this.relay(server, this.client, message.frame);
        return;
      case 'S':
        this.statements.sync();
        this.awaitingReady++;
        this.relay(server, this.client, message.frame);
        return;
      default:
        this.relay(server, this.client, message.frame);
    }
  }

  /** Writes with backpressure: the side that produces waits while the other drains. */
  private relay(to: Socket, from: Socket, data: Buffer): void {
    if (!to.write(data) && !from.isPaused()) {
      from.pause();
      to.once('drain', () => {
        if (!this.tapped || from !== this.server) from.resume();
      });
    }
  }

  private async intercept(sql: string): Promise<void> {
    const statement = this.statements.intercepted(sql);
    this.info.queryId = statement.id;
    this.backend!.clientError = undefined;
    try {
      await runIntercepted(sql, this.backend!, this.context, this.info);
      statement.finish(this.backend!.clientError);
    } finally {
      // An UNLOAD leaves the id unused; the next COPY must not take it again.
      this.info.queryId = undefined;
    }
  }

  /**
   * A backend keeps its row counts for up to a second before they reach the shared statistics. An ANALYZE right after
   * a load would be followed by the load's counts, and SVV_TABLE_INFO would call the statistics it just made stale.
   */
  private async flushStatistics(): Promise<void> {
    await this.backend!.ask('SELECT pg_stat_force_next_flush()');
  }

  private pass(sql: string): void {
    this.awaitingReady++;
    this.relay(this.server!, this.client, query(this.statements.query(sql, rewriteSql(sql))));
  }

  /**
   * Work the proxy does on the client's backend between the client's messages (which wait meanwhile): once the
   * backend is idle, its answers come to the proxy instead of the client; `then` runs before the held messages.
   */
  private async aside(work: () => Promise<void>, then?: () => void): Promise<void> {
    this.busy = true;
    try {
      if (this.awaitingReady > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
      this.onIdle = undefined;
      this.tapped = true;
      await work();
    } catch (error) {
      if (!this.closed) this.context.log.warn(SCOPE, 'Closing a client connection after a failure in work the proxy did for it', error);
      this.close();
      return;
    } finally {
      this.tapped = false;
      this.busy = false;
    }
    if (this.server?.isPaused()) this.server.resume();
    this.guard(() => {
      then?.();
      while (!this.busy && this.held.length) this.handle(this.held.shift()!);
      if (this.client.isPaused() && this.held.length < HELD_HIGH_WATER) this.client.resume();
    });
  }
}
