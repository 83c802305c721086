using Repartir.Remote;

namespace Repartir.Cmdlets.Workers;

/// <summary>A worker daemon running inside this PowerShell session (Start-RepartirWorker), with live figures.</summary>
public sealed class LocalWorkerInfo
{
    internal LocalWorkerInfo(WorkerServer server) => Server = server;

    /// <summary>The worker's name. Binds to -Name of Stop-RepartirWorker by property name.</summary>
    public string Name => Server.Options.Name;

    /// <summary>Where it listens, as HOST:PORT (what a coordinator's -Worker takes).</summary>
    public string Endpoint => Server.LocalEndPoint.ToString();

    /// <summary>Tasks it runs at once.</summary>
    public int Slots => Server.Options.Slots;

    /// <summary>Serving, Draining or Stopped.</summary>
    public string State => Server.State;

    /// <summary>Coordinators connected now.</summary>
    public int Connections => Server.Connections;

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt => Server.StartedAt;

    /// <summary>The engine server, for C# and for scripts that want the full API.</summary>
    public WorkerServer Server { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Endpoint})";
}
