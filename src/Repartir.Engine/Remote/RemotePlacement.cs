using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Repartir.Remote.Wire;
using Repartir.Scheduling;

namespace Repartir.Remote;

/// <summary>
/// Places a pool's remote-capable tasks on its remote workers: whenever there is work and a worker with a
/// free slot, the least loaded worker (lowest share of its slots in use, then most free slots) gets the
/// highest-priority task. A worker never has more of the pool's tasks in flight than it has slots. And while
/// no worker is usable, tasks only they may run wait at most the pool's placement timeout, then come back
/// as NoWorker: a pool whose workers are all gone ends its runs instead of hanging them.
/// </summary>
internal sealed class RemotePlacement : IAsyncDisposable
{
    private readonly IAttemptSource _source;
    private readonly PoolOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Hello _myHello;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private WorkerClient[] _clients = [];
    private Task? _loop;
    private ITimer? _availabilityCheck;
    private long _unusableSince = -1; // since when no worker could take a task (a timestamp); -1 while one can
    private long _gpuUnusableSince = -1; // since when Gpu tasks waited while no worker with a GPU was usable; -1 otherwise
    private int _signaled;

    internal RemotePlacement(IAttemptSource source, PoolOptions options, ILogger logger, TimeProvider time)
    {
        _source = source;
        _options = options;
        _logger = logger;
        _time = time;
        _myHello = new Hello(
            MessageCodec.ProtocolVersion,
            typeof(RemotePlacement).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            $"{Environment.MachineName}/{options.Name}",
            Guid.NewGuid().ToString("N"),
            Slots: 0,
            Backends: [],
            options.Remote.MaxFrameLength,
            new Dictionary<string, string>
            {
                ["os"] = RuntimeInformation.OSDescription,
                ["processId"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            },
            options.Remote.Observe ? Hello.MonitorRole : Hello.CoordinatorRole);
    }

    /// <summary>The pool's remote workers, in the order they were added.</summary>
    internal IReadOnlyList<WorkerClient> Clients => Volatile.Read(ref _clients);

    /// <summary>The slots of the workers reached so far.</summary>
    internal int KnownSlots => Clients.Sum(c => c.Slots);

    /// <summary>Adds a worker and starts connecting to it.</summary>
    /// <exception cref="ArgumentException">The address is not <c>HOST:PORT</c>, cannot be resolved, or the pool already has it.</exception>
    internal WorkerClient Add(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        address = address.Trim();
        if (!EndPoints.TryParse(address, out IPEndPoint? endPoint, out string? error) || endPoint is null)
        {
            throw new InvalidSettingException(nameof(address), $"Worker address {error}");
        }

        WorkerClient client;
        lock (_gate)
        {
            if (_clients.FirstOrDefault(c => c.EndPoint.Equals(endPoint) || string.Equals(c.Address, address, StringComparison.OrdinalIgnoreCase)) is { } existing)
            {
                throw new InvalidSettingException(nameof(address), $"Pool '{_options.Name}' already has worker {existing.Address}.");
            }

            client = new WorkerClient(address, endPoint, this, _options.Remote, _myHello, _logger, _time);
            _clients = [.. _clients, client];
            _loop ??= Task.Run(PlaceLoopAsync);
            _availabilityCheck ??= StartAvailabilityCheck();
        }

        client.Start();
        return client;
    }

    /// <summary>Stops using <paramref name="client"/>; with <paramref name="drain"/> its running tasks finish first (until <paramref name="cancellationToken"/>), otherwise they are requeued.</summary>
    internal async Task RemoveAsync(WorkerClient client, bool drain, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_clients.Contains(client))
            {
                return;
            }

            _clients = [.. _clients.Where(c => !ReferenceEquals(c, client))];
        }

        await client.StopAsync(drain, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Says there may be work to place or a slot to place it in; cheap, and coalesced.</summary>
    internal void Signal()
    {
        // Every Auto task passes here: a pool without remote workers must not pay a shared write per task.
        if (Volatile.Read(ref _clients).Length > 0 && Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            _signal.Release();
        }
    }

    /// <summary>The pool's next task a remote worker may run, already marked running; null when there is none.</summary>
    internal TaskAttempt? TakeWork(bool gpu) => _source.TryTake(gpu);

    /// <summary>True while Gpu tasks wait to be placed.</summary>
    internal bool HasGpuWork => _source.HasGpuWork;

    /// <summary>Asks every worker to cancel the pool's tasks it runs.</summary>
    internal void CancelRunning()
    {
        foreach (WorkerClient client in Clients)
        {
            client.CancelRunning();
        }
    }

    /// <summary>Resolves once every worker's first connection attempt has succeeded or failed.</summary>
    internal Task FirstAttemptsAsync() => Task.WhenAll(Clients.Select(c => c.FirstAttempt));

    public async ValueTask DisposeAsync()
    {
        WorkerClient[] clients;
        lock (_gate)
        {
            clients = _clients;
            _clients = [];
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_availabilityCheck is not null)
        {
            await _availabilityCheck.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(clients.Select(c => c.StopAsync(drain: false, CancellationToken.None))).ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task PlaceLoopAsync()
    {
        try
        {
            while (true)
            {
                await _signal.WaitAsync(_stop.Token).ConfigureAwait(false);
                Volatile.Write(ref _signaled, 0); // before looking, so a signal raised while placing is not lost
                while (LeastLoaded() is { } client && await client.TryPlaceNextAsync().ConfigureAwait(false) != Placement.NoWork)
                {
                    // Placed, or the slot was taken meanwhile by a result's hand-off: look again.
                }

                // Gpu tasks wait for a worker with a GPU free, which need not be the least loaded one.
                while (_source.HasGpuWork && WithFreeGpu() is { } client && await client.TryPlaceNextAsync().ConfigureAwait(false) == Placement.Placed)
                {
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The pool has stopped.
        }
    }

    private ITimer? StartAvailabilityCheck()
    {
        TimeSpan limit = _options.PlacementTimeout;
        if (limit == Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        // A few looks per timeout, at most one a second: the check is cheap, and a task is given up at most a period late.
        var period = TimeSpan.FromTicks(Math.Clamp(limit.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        return _time.CreateTimer(static state => ((RemotePlacement)state!).CheckAvailability(), this, period, period);
    }

    /// <summary>Gives up on the tasks that waited past the placement timeout while no worker could take them.</summary>
    private void CheckAvailability()
    {
        long now = _time.GetTimestamp();
        WorkerClient[] clients = Volatile.Read(ref _clients);
        if (clients.Any(c => c.IsUsable))
        {
            Volatile.Write(ref _unusableSince, -1);
            CheckGpuAvailability(clients, now);
            return;
        }

        long since = Volatile.Read(ref _unusableSince);
        if (since < 0)
        {
            Volatile.Write(ref _unusableSince, since = now);
        }

        TimeSpan limit = _options.PlacementTimeout;
        if (_time.GetElapsedTime(since, now) < limit)
        {
            return;
        }

        string workers = clients.Length == 0
            ? "it has no remote workers"
            : string.Join("; ", clients.Select(c => $"{c.Address} is {(c.State == RemoteWorkerState.Online ? "draining" : c.State.ToString())}{(c.LastError is { } error ? $" ({error})" : string.Empty)}"));
        string message = $"No worker of pool '{_options.Name}' could take the task within {limit.TotalSeconds:0.###} s (PlacementTimeout): {workers}.";
        _source.AbandonUnplaced(queuedAt => _time.GetElapsedTime(queuedAt, now) >= limit, message, gpuOnly: false);
    }

    /// <summary>Gives up on the Gpu tasks that waited past the placement timeout while workers were usable but none with a GPU.</summary>
    private void CheckGpuAvailability(WorkerClient[] clients, long now)
    {
        if (!_source.HasGpuWork || clients.Any(c => c.IsUsable && c.GpuCount > 0))
        {
            Volatile.Write(ref _gpuUnusableSince, -1);
            return;
        }

        long since = Volatile.Read(ref _gpuUnusableSince);
        if (since < 0)
        {
            Volatile.Write(ref _gpuUnusableSince, since = now);
        }

        TimeSpan limit = _options.PlacementTimeout;
        if (_time.GetElapsedTime(since, now) >= limit)
        {
            string workers = string.Join("; ", clients.Select(c =>
                c.Peer is null ? $"{c.Address} is {c.StateName}{(c.LastError is { } error ? $" ({error})" : string.Empty)}"
                : c.GpuCount > 0 ? $"{c.Address} has {c.GpuCount} GPU(s) but is {c.StateName}"
                : $"{c.Address} has no GPU"));
            _source.AbandonUnplaced(queuedAt => _time.GetElapsedTime(queuedAt, now) >= limit, $"No worker of pool '{_options.Name}' with a GPU could take the task within {limit.TotalSeconds:0.###} s (PlacementTimeout): {workers}.", gpuOnly: true);
        }
    }

    private WorkerClient? WithFreeGpu() =>
        Clients.Where(c => c.FreeSlots > 0 && c.FreeGpus > 0).OrderBy(c => (double)c.InFlight / c.Slots).FirstOrDefault();

    private WorkerClient? LeastLoaded()
    {
        WorkerClient? best = null;
        double bestShare = double.MaxValue;
        int bestFree = 0;
        foreach (WorkerClient client in Clients)
        {
            int free = client.FreeSlots;
            if (free <= 0)
            {
                continue;
            }

            double share = (double)client.InFlight / client.Slots;
            if (share < bestShare || (share == bestShare && free > bestFree))
            {
                best = client;
                bestShare = share;
                bestFree = free;
            }
        }

        return best;
    }
}
