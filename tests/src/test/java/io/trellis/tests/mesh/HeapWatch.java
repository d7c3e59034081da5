package io.trellis.tests.mesh;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Reads a proxy JVM's heap from the outside: attaches, starts its local JMX agent and reads
 * the heap pools' peak usage. Peaks are reset at start, so {@link #peakHeapUsed()} covers what
 * happened since.
 */
public final class HeapWatch implements AutoCloseable {
  private final String workload;
  private final JMXConnector connector;
  private final MemoryMXBean memory;
  private final List<MemoryPoolMXBean> heapPools;

  private HeapWatch(
      String workload, JMXConnector connector, MemoryMXBean memory, List<MemoryPoolMXBean> heapPools) {
    this.workload = workload;
    this.connector = connector;
    this.memory = memory;
    this.heapPools = heapPools;
  }

  public static HeapWatch attach(String workload, long pid) throws Exception {
    VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
    String address;
    try {
      address = vm.startLocalManagementAgent();
    } finally {
      vm.detach();
    }
    JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address));
    MBeanServerConnection conn = connector.getMBeanServerConnection();
    MemoryMXBean memory = ManagementFactory.getPlatformMXBean(conn, MemoryMXBean.class);
    List<MemoryPoolMXBean> heap =
        ManagementFactory.getPlatformMXBeans(conn, MemoryPoolMXBean.class).stream()
            .filter(p -> p.getType() == MemoryType.HEAP)
            .toList();
    heap.forEach(MemoryPoolMXBean::resetPeakUsage);
    return new HeapWatch(workload, connector, memory, heap);
  }

  public String workload() {
    return workload;
  }

  /** The heap limit the JVM runs with (what -Xmx set). */
  public long maxHeap() {
    return memory.getHeapMemoryUsage().getMax();
  }

  /**
   * The sum of every heap pool's peak since the watch began: an upper bound of the real peak,
   * since pools peak at different moments.
   */
  public long peakHeapUsed() {
    return heapPools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
  }

  @Override
  public void close() throws IOException {
    connector.close();
  }
}
