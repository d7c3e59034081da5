import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A stand-in app for one workload of the example mesh, so its sidecar has something to forward
 * to: answers every request with "hello from NAME" and the path. Needs only a JDK:
 *   java examples/HelloApp.java NAME ADDRESS PORT
 */
public class HelloApp {
  public static void main(String[] args) throws Exception {
    String name = args[0];
    HttpServer server = HttpServer.create(new InetSocketAddress(args[1], Integer.parseInt(args[2])), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] body =
              ("hello from " + name + " (" + exchange.getRequestMethod() + " "
                      + exchange.getRequestURI() + ")\n")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getRequestBody().readAllBytes();
          exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    System.out.println(name + " app listening on " + args[1] + ":" + args[2]);
  }
}
