package dev.breakwater.client;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.Map;
import java.util.TreeMap;

/**
 * What Lambda's Java runtime does with a handler, reduced to the part a test needs: loads the
 * class (running its init phase), then invokes it twice, as two requests to one warm instance.
 * Run in a child JVM by {@link ExampleLambdaTest}: {@code LambdaInvoker <handler class> <customer>}.
 */
public final class LambdaInvoker {
  @SuppressWarnings("unchecked")
  public static void main(String[] args) throws Exception {
    RequestHandler<Map<String, Object>, Map<String, Object>> handler =
        (RequestHandler<Map<String, Object>, Map<String, Object>>)
            Class.forName(args[0]).getDeclaredConstructor().newInstance();
    for (int i = 0; i < 2; i++) {
      System.out.println(new TreeMap<>(handler.handleRequest(Map.of("customer", args[1]), null)));
    }
  }
}
