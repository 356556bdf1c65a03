package io.insync.ops.management;

import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The web console (docs/operations.md, "Console"): a static page, its script and style, packaged in the jar under
 * {@code console/} and served at {@code /console/} on the management port. The page reads the JSON routes
 * ({@code /cluster/members}, {@code /insync/shards}, {@code /insync/connections}, {@code /insync/stats}, {@code
 * /insync/alerts}, {@code /insync/flags}, {@code /insync/access}) itself; it needs nothing else, no network beyond
 * this node and no build step.
 */
final class ConsoleRoutes extends AllDirectives {
  Route route() {
    return pathPrefix("console", () -> concat(
        pathEnd(() -> redirect(Uri.create("/console/"), StatusCodes.MOVED_PERMANENTLY)),
        pathSingleSlash(() -> getFromResource("console/index.html")),
        getFromResourceDirectory("console")));
  }
}
