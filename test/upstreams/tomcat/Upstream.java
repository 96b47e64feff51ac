import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.File;
import java.io.IOException;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

/**
 * Embedded Tomcat with the routes every test upstream has (test/upstreams/routes.ts): each answers "route <name>".
 * Listens on 127.0.0.1, an ephemeral port printed on stdout. Argument: a scratch base directory.
 */
public class Upstream {
  static HttpServlet route(String name, int status) {
    return new HttpServlet() {
      @Override
      protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
        res.setStatus(status);
        res.setContentType("text/plain");
        res.getWriter().print("route " + name);
      }
    };
  }

  public static void main(String[] args) throws Exception {
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(args[0]);
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    tomcat.setConnector(connector);
    Context ctx = tomcat.addContext("", new File(args[0]).getAbsolutePath());
    String[][] mappings = {{"admin", "/admin"}, {"admin", "/admin/*"}, {"public", "/public/*"}, {"docs", "/docs/*"}, {"login", "/login"}};
    for (String name : new String[] {"admin", "public", "docs", "login"}) Tomcat.addServlet(ctx, name, route(name, 200));
    Tomcat.addServlet(ctx, "none", route("none", 404));
    for (String[] m : mappings) ctx.addServletMappingDecoded(m[1], m[0]);
    ctx.addServletMappingDecoded("/", "none");
    tomcat.start();
    System.out.println(connector.getLocalPort());
    System.out.flush();
    tomcat.getServer().await();
  }
}
