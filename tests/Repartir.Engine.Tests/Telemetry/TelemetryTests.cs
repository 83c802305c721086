using System.Diagnostics;
using System.Diagnostics.Metrics;
using Repartir.Remote;
using Repartir.Scheduling;
using Repartir.Tasks;
using Repartir.Telemetry;
using Repartir.Tests.Remote;

namespace Repartir.Tests.Telemetry;

/// <summary>The engine's metrics and spans as a listener sees them, against the real counts of a run.</summary>
public sealed class TelemetryTests
{
    /// <summary>Every measurement of the Repartir meter for one pool (other tests' pools record beside it).</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _pool;
        private readonly List<(string Name, double Value, Dictionary<string, object?> Tags)> _measurements = [];

        public Recorder(string pool)
        {
            _pool = pool;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RepartirTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.Start();
        }

        public double Sum(string name, string? tag = null, string? value = null)
        {
            lock (_measurements)
            {
                return _measurements.Where(m => m.Name == name && (tag is null || Equals(m.Tags.GetValueOrDefault(tag), value))).Sum(m => m.Value);
            }
        }

        public int Count(string name)
        {
            lock (_measurements)
            {
                return _measurements.Count(m => m.Name == name);
            }
        }

        /// <summary>Reads the observable instruments once.</summary>
        public void Observe()
        {
            lock (_measurements)
            {
                _measurements.RemoveAll(m => m.Name.StartsWith("repartir.pool.", StringComparison.Ordinal));
            }

            _listener.RecordObservableInstruments();
        }

        public void Dispose() => _listener.Dispose();

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var map = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            if (Equals(map.GetValueOrDefault("repartir.pool"), _pool))
            {
                lock (_measurements)
                {
                    _measurements.Add((instrument.Name, value, map));
                }
            }
        }
    }

    [Fact]
    public async Task Counters_and_histograms_match_the_runs_real_counts()
    {
        string name = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        using var recorder = new Recorder(name);
        await using (var pool = new Pool(new PoolOptions { Name = name, CpuWorkers = 2, Gpus = [], Process = TestPools.FastKill }))
        {
            TaskResult[] results = await Task.WhenAll(
                pool.SubmitAsync(new TaskSpec("true")),
                pool.SubmitAsync(new TaskSpec("true")),
                pool.SubmitAsync(new TaskSpec("true")),
                pool.SubmitAsync(new TaskSpec("false") { Retry = RetryPolicy.WithRetries(2) with { InitialDelay = TimeSpan.Zero } }),
                pool.SubmitAsync(new TaskSpec("no-such-program-here")),
                pool.SubmitAsync(new TaskSpec("true") { Backend = Backend.Remote })).Within();
            Assert.Equal(3, results.Count(r => r.Success));

            recorder.Observe();
            Assert.Equal(2, recorder.Sum("repartir.pool.workers", "repartir.worker.state", "Local"));
            Assert.Equal(0, recorder.Sum("repartir.pool.queued"));
        }

        Assert.Equal(6, recorder.Sum("repartir.tasks.submitted"));
        Assert.Equal(3 + 3 + 1, recorder.Sum("repartir.tasks.started")); // false ran three times, the rejected task never
        Assert.Equal(3, recorder.Sum("repartir.tasks.completed", "repartir.outcome", "success"));
        Assert.Equal(1, recorder.Sum("repartir.tasks.completed", "repartir.outcome", "non_zero_exit"));
        Assert.Equal(1, recorder.Sum("repartir.tasks.completed", "repartir.outcome", "not_found"));
        Assert.Equal(1, recorder.Sum("repartir.tasks.completed", "repartir.outcome", "rejected"));
        Assert.Equal(2, recorder.Sum("repartir.tasks.retried"));
        Assert.Equal(5, recorder.Count("repartir.task.duration")); // every task that started has its final attempt's duration
        Assert.Equal(5, recorder.Count("repartir.task.queue_wait")); // one wait per task, not per attempt
    }

    [Fact]
    public async Task Bytes_to_and_from_a_worker_are_counted_per_worker()
    {
        await using WorkerServer worker = TestRemote.StartWorker("io", slots: 1);
        string name = "io-" + Guid.NewGuid().ToString("N")[..8];
        using var listener = new MeterListener();
        long sent = 0, received = 0;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "repartir.worker.network.io")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            if (Equals(map["repartir.worker"], worker.Address()))
            {
                Interlocked.Add(ref Equals(map["network.io.direction"], "transmit") ? ref sent : ref received, value);
            }
        });
        listener.Start();
        await using (var pool = new Pool(new PoolOptions { Name = name, CpuWorkers = 0, Gpus = [], Workers = [worker.Address()], Remote = TestRemote.Fast }))
        {
            TaskResult result = await pool.SubmitAsync(new TaskSpec("head", "-c", "100000", "/dev/zero")).Within();
            Assert.True(result.Success, result.ToString());
        }

        Assert.True(Interlocked.Read(ref received) > 100_000, $"received {received} bytes"); // the result carries 100 KB of output
        Assert.True(Interlocked.Read(ref sent) > 0);
    }

    [Fact]
    public async Task A_task_run_on_a_worker_continues_the_coordinators_trace()
    {
        using var test = new ActivitySource("repartir-tests");
        using Activity root = new Activity("test-root").Start();
        ActivityTraceId trace = root.TraceId;
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RepartirTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) => options.TraceId == trace ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        await using WorkerServer worker = TestRemote.StartWorker("traced", slots: 1);
        await using (Pool pool = TestRemote.Pool([worker.Address()]))
        {
            TaskResult result = await pool.SubmitAsync(new TaskSpec("true") { Backend = Backend.Remote }).Within();
            Assert.True(result.Success, result.ToString());
        }

        Activity[] ours;
        lock (spans)
        {
            ours = [.. spans];
        }

        Activity task = Assert.Single(ours, a => a.OperationName == "repartir.task" && Equals(a.GetTagItem("repartir.pool"), "remote-test"));
        Activity attempt = Assert.Single(ours, a => a.OperationName == "repartir.attempt" && a.ParentSpanId == task.SpanId);
        Activity onWorker = Assert.Single(ours, a => a.OperationName == "repartir.worker.run");
        Assert.Equal(root.SpanId, task.ParentSpanId); // under the caller's activity
        Assert.Equal(trace, onWorker.TraceId); // the worker continued the coordinator's trace, across the wire
        Assert.Equal(attempt.SpanId, onWorker.ParentSpanId);
        Assert.Equal("success", task.GetTagItem("repartir.outcome"));
        Assert.StartsWith("traced/", (string)attempt.GetTagItem("repartir.worker")!, StringComparison.Ordinal);
        Assert.Contains(ours, a => a.OperationName == "repartir.task" && a.ParentSpanId == onWorker.SpanId); // the worker's own pool, inside
    }
}
