package io.trellis.identity.tls;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * Drives a client and a server SSLEngine against each other in memory (no sockets, no threads,
 * no sleeps) until both finish, one fails, or a step limit is reached; then exchanges a message
 * each way so that a failure the client learns of only after its own handshake (the server
 * refusing its certificate, in TLS 1.3) surfaces too.
 */
final class EngineHandshake {

  /** Which side failed first and why, or neither. */
  record Outcome(SSLException clientError, SSLException serverError, String serverReceived,
      String clientReceived) {
    boolean succeeded() {
      return clientError == null && serverError == null;
    }

    SSLException error() {
      return serverError != null ? serverError : clientError;
    }
  }

  private final SSLEngine client;
  private final SSLEngine server;
  private final ByteBuffer toServer;
  private final ByteBuffer toClient;
  private final ByteBuffer clientApp;
  private final ByteBuffer serverApp;

  private EngineHandshake(SSLEngine client, SSLEngine server) {
    this.client = client;
    this.server = server;
    int net = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize()) * 4;
    int app = Math.max(client.getSession().getApplicationBufferSize(), server.getSession().getApplicationBufferSize()) * 4;
    toServer = ByteBuffer.allocate(net);
    toClient = ByteBuffer.allocate(net);
    clientApp = ByteBuffer.allocate(app);
    serverApp = ByteBuffer.allocate(app);
  }

  static Outcome run(SSLEngine client, SSLEngine server) {
    return new EngineHandshake(client, server).run();
  }

  private Outcome run() {
    SSLException clientError = null;
    SSLException serverError = null;
    try {
      client.beginHandshake();
      server.beginHandshake();
      for (int i = 0; i < 50 && !(done(client) && done(server) && toServer.position() == 0 && toClient.position() == 0); i++) {
        try {
          step(client, toServer, toClient, clientApp);
        } catch (SSLException e) {
          clientError = e;
          break;
        }
        try {
          step(server, toClient, toServer, serverApp);
        } catch (SSLException e) {
          serverError = e;
          break;
        }
      }
      if (clientError == null && serverError == null) {
        // Application data both ways: the server's verdict on the client reaches the client.
        try {
          send(client, "ping", toServer);
          step(server, toClient, toServer, serverApp);
          send(server, "pong", toClient);
          step(client, toServer, toClient, clientApp);
        } catch (SSLException e) {
          if (server.isInboundDone() || server.isOutboundDone()) {
            serverError = e;
          } else {
            clientError = e;
          }
        }
      }
    } catch (SSLException e) {
      clientError = e;
    }
    return new Outcome(clientError, serverError, drain(serverApp), drain(clientApp));
  }

  private static boolean done(SSLEngine engine) {
    HandshakeStatus status = engine.getHandshakeStatus();
    return status == HandshakeStatus.NOT_HANDSHAKING || status == HandshakeStatus.FINISHED;
  }

  /** Wraps what the engine wants to send, then unwraps what the peer sent. */
  private static void step(SSLEngine engine, ByteBuffer out, ByteBuffer in, ByteBuffer app)
      throws SSLException {
    while (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
      SSLEngineResult r = engine.wrap(ByteBuffer.allocate(0), out);
      runTasks(engine);
      if (r.getStatus() != SSLEngineResult.Status.OK) {
        break;
      }
    }
    in.flip();
    try {
      while (in.hasRemaining()) {
        SSLEngineResult r = engine.unwrap(in, app);
        runTasks(engine);
        if (r.getStatus() != SSLEngineResult.Status.OK
            || (r.bytesConsumed() == 0 && r.bytesProduced() == 0)) {
          break;
        }
      }
    } finally {
      in.compact();
    }
    while (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
      SSLEngineResult r = engine.wrap(ByteBuffer.allocate(0), out);
      runTasks(engine);
      if (r.getStatus() != SSLEngineResult.Status.OK) {
        break;
      }
    }
  }

  private static void send(SSLEngine engine, String message, ByteBuffer out) throws SSLException {
    engine.wrap(ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), out);
  }

  private static void runTasks(SSLEngine engine) {
    Runnable task;
    while ((task = engine.getDelegatedTask()) != null) {
      task.run();
    }
  }

  private static String drain(ByteBuffer app) {
    app.flip();
    byte[] bytes = new byte[app.remaining()];
    app.get(bytes);
    app.clear();
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
