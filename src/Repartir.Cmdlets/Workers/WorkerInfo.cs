using Repartir.Remote;

namespace Repartir.Cmdlets.Workers;

/// <summary>
/// A worker daemon running inside this PowerShell session (Start-RepartirWorker), with live figures. Its
/// <see cref="Name"/> binds to -Name of Stop-RepartirWorker, its <see cref="Endpoint"/> to -Endpoint of
/// Add-RepartirPoolWorker, by property name.
/// </summary>
public sealed class WorkerInfo
{
    private readonly Func<Repartir.Security.TlsCredentials>? _loadCertificates;

    /// <summary>The runspaces it runs script-block tasks in; closed when it stops.</summary>
    internal Scripts.WorkerScriptHost? Scripts { get; init; }

    internal WorkerInfo(WorkerServer server, Func<Repartir.Security.TlsCredentials>? loadCertificates = null)
    {
        Server = server;
        _loadCertificates = loadCertificates;
    }

    /// <summary>The worker's name.</summary>
    public string Name => Server.Options.Name;

    /// <summary>Where it listens, as HOST:PORT (what a pool's -Worker takes).</summary>
    public string Endpoint => Server.LocalEndPoint.ToString();

    /// <summary>Tasks it runs at once.</summary>
    public int Slots => Server.Options.Slots;

    /// <summary>Serving, Draining or Stopped.</summary>
    public string State => Server.State;

    /// <summary>Coordinators connected now.</summary>
    public int Connections => Server.Connections;

    /// <summary>Of those, coordinators that send tasks (the others are monitors, such as repartir top).</summary>
    public int Coordinators => Server.Coordinators;

    /// <summary>Tasks it completed per second over the last ten seconds.</summary>
    public double Throughput => Math.Round(Server.Throughput, 3);

    /// <summary>Tasks running now, for all coordinators.</summary>
    public int Running => Server.Running;

    /// <summary>Tasks waiting for a slot (their coordinator's turn, or its unread output).</summary>
    public int Waiting => Server.WaitingTasks;

    /// <summary>Tasks run that have their result, since it started.</summary>
    public long Completed => Server.Completed;

    /// <summary>Of those, the ones that did not succeed.</summary>
    public long Failed => Server.Failed;

    /// <summary>The GPUs it offers Gpu tasks.</summary>
    public IReadOnlyList<string> Gpus => Server.Gpus;

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt => Server.StartedAt;

    /// <summary>MutualTls, or PlainTcp (loopback, or allowed with -AllowInsecure).</summary>
    public string Transport => Server.UsesTls ? "MutualTls" : "PlainTcp";

    internal WorkerServer Server { get; }

    /// <summary>
    /// Reads the worker's certificate, key and CA files again and presents them to new connections, as
    /// <c>repartir worker</c> does on SIGHUP: a rotation without downtime; established connections go on.
    /// </summary>
    /// <exception cref="InvalidOperationException">The worker serves plain TCP.</exception>
    /// <exception cref="Repartir.Security.CertificateException">A file cannot be used; the worker keeps the certificates it had.</exception>
    public void ReloadCertificates()
    {
        if (_loadCertificates is null)
        {
            throw new InvalidOperationException($"Worker '{Name}' serves plain TCP: it has no certificates to reload.");
        }

        Server.UseCredentials(_loadCertificates());
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Endpoint})";
}
