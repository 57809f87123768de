using System.Net;
using System.Net.Sockets;

namespace OrleansDynamo.Clustering.Tests.Infrastructure;

/// <summary>Loopback ports the kernel says are free: all are bound at once (so they differ), then released for the test to use.</summary>
internal static class FreePorts
{
    public static int[] Take(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners) listener.Stop();
        }
    }
}
