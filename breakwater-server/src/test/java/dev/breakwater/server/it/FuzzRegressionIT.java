package dev.breakwater.server.it;

import dev.breakwater.server.it.FuzzStep.Shape;
import org.junit.jupiter.api.Test;

/**
 * Conversations {@link ProtocolFuzzIT} found breaking an invariant, shrunk, replayed on a fresh
 * pooler of the shape they failed on. Each must pass.
 */
class FuzzRegressionIT {

  @Test
  void nothingButChecks() throws Exception {
    ProtocolFuzzIT.assertPasses(new Shape(1, 2, 1), "0 CHECK 0; 1 CHECK 1; 0 Q_INSERT 0; 1 COPY_OUT 0");
  }
}
