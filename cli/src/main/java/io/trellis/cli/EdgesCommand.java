package io.trellis.cli;

import io.trellis.api.metrics.Edge;
import io.trellis.api.metrics.EdgesRequest;
import io.trellis.api.metrics.EdgesResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code trellis edges deploy}: which deployment calls which, and whether over mTLS. */
@Command(
    name = "edges",
    mixinStandardHelpOptions = true,
    description = {
      "The edges between deployments seen in the last -t window (from the clients' outbound",
      "series) and whether they are secured by mTLS; -o wide adds the client and server",
      "identities."
    })
final class EdgesCommand extends MetricsCommand {
  @Parameters(index = "0", paramLabel = "TYPE", description = "deploy")
  String type;


  @Override
  public Integer call() {
    EdgesRequest request = EdgesRequest.newBuilder().setResourceType(type)
        .setNamespace(namespace).setWindow(window).build();
    return run(c -> c.edges(request), this::print);
  }

  private void print(EdgesResponse r) {
    if (output.equals("json")) {
      List<Object> rows = new ArrayList<>();
      for (Edge e : r.getEdgesList()) {
        Map<String, Object> f = fields();
        f.put("src", e.getSrc());
        f.put("src_namespace", e.getSrcNamespace());
        f.put("dst", e.getDst());
        f.put("dst_namespace", e.getDstNamespace());
        f.put("client_id", e.getClientId());
        f.put("server_id", e.getServerId());
        f.put("no_tls_reason", e.getSecured() ? "" : "not secured");
        f.put("secured", e.getSecured());
        rows.add(f);
      }
      out().println(Table.json(rows));
      return;
    }
    if (r.getEdgesCount() == 0) {
      out().println("No edges found.");
      return;
    }
    boolean wide = output.equals("wide");
    Table t = wide
        ? new Table("SRC", "DST", "SRC_NS", "DST_NS", "CLIENT_ID", "SERVER_ID", "SECURED")
        : new Table("SRC", "DST", "SRC_NS", "DST_NS", "SECURED");
    for (Edge e : r.getEdgesList()) {
      String secured = e.getSecured() ? "√" : "×";
      if (wide) {
        t.row(e.getSrc(), e.getDst(), e.getSrcNamespace(), e.getDstNamespace(),
            e.getClientId().isEmpty() ? "-" : e.getClientId(),
            e.getServerId().isEmpty() ? "-" : e.getServerId(), secured);
      } else {
        t.row(e.getSrc(), e.getDst(), e.getSrcNamespace(), e.getDstNamespace(), secured);
      }
    }
    t.print(out());
  }
}
