import com.almworks.sqlite4java.SQLiteConnection;
import com.almworks.sqlite4java.SQLiteJob;
import com.almworks.sqlite4java.SQLiteQueue;
import com.almworks.sqlite4java.SQLiteStatement;
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.AbstractLocalDynamoDBServerHandler;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBRequestHandler;
import com.amazonaws.services.dynamodbv2.local.shared.access.LocalDBClient;
import com.amazonaws.services.dynamodbv2.local.shared.access.sqlite.SQLiteDBAccess;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * DynamoDB Local listening on the loopback interface only, its database file written without
 * fsync. Run as a single-file source program (java File.java) with the same arguments as DynamoDB
 * Local's ServerRunner, which must include -sharedDb and -dbPath.
 *
 * Loopback: its command line has no option for the address, and its Jetty server listens on every
 * interface, which would let anyone on the network read and write the local cloud's tables.
 *
 * Without fsync: DynamoDB Local runs every request, reads included, one after another on a single
 * SQLite connection, and SQLite's default (synchronous=FULL) waits for the disk at each commit, so
 * that the local cloud managed about 80 writes a second however idle its CPU. With synchronous=OFF
 * a commit ends once the operating system has the pages: the data survives DynamoDB Local being
 * killed or restarted (as the fault injector does), though not a crash of the machine itself.
 */
public class LoopbackDynamoDbLocal {
    private static Object read(Class<?> owner, String name, Object target) throws ReflectiveOperationException {
        Field field = owner.getDeclaredField(name);
        field.setAccessible(true);
        return field.get(target);
    }

    /** The one SQLite connection's queue of the shared database, opened now rather than at the first request. */
    private static SQLiteQueue sharedDatabaseQueue(DynamoDBProxyServer proxy) throws ReflectiveOperationException {
        Object serverHandler = read(DynamoDBProxyServer.class, "serverHandler", proxy);
        Object requestHandler = read(AbstractLocalDynamoDBServerHandler.class, "primaryHandler", serverHandler);
        Method getHandler = LocalDynamoDBRequestHandler.class.getDeclaredMethod("getHandler", String.class);
        getHandler.setAccessible(true);
        // With -sharedDb every caller gets the same database, whatever its access key.
        Object client = getHandler.invoke(requestHandler, "shared");
        return (SQLiteQueue) read(SQLiteDBAccess.class, "queue", read(LocalDBClient.class, "dbAccess", client));
    }

    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Server server = (Server) read(DynamoDBProxyServer.class, "server", proxy);
        for (Connector connector : server.getConnectors()) {
            ((ServerConnector) connector).setHost("127.0.0.1");
        }
        Integer synchronous = sharedDatabaseQueue(proxy).execute(new SQLiteJob<Integer>() {
            @Override
            protected Integer job(SQLiteConnection connection) throws Exception {
                connection.exec("PRAGMA synchronous=OFF");
                SQLiteStatement setting = connection.prepare("PRAGMA synchronous");
                try {
                    setting.step();
                    return setting.columnInt(0);
                } finally {
                    setting.dispose();
                }
            }
        }).complete();
        if (synchronous == null) throw new IllegalStateException("could not set SQLite's synchronous mode; see the error above");
        // Read back from the connection, for the log (and the test that reads it): 0 is OFF.
        System.out.println("SQLite synchronous=" + synchronous);
        proxy.start();
    }
}
