using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Repartir.Telemetry;

namespace Repartir.Cli;

/// <summary>
/// The engine's metrics and traces out of a <c>repartir run</c> or <c>repartir worker</c>: a Prometheus scrape endpoint
/// (<c>--metrics HOST:PORT</c>, serving <c>/metrics</c>) and OTLP export of metrics and traces (<c>--otlp URL</c>).
/// Nothing is collected when neither is given.
/// </summary>
internal sealed class CliTelemetry : IDisposable
{
    private readonly MeterProvider? _meters;
    private readonly TracerProvider? _tracers;

    private CliTelemetry(MeterProvider? meters, TracerProvider? tracers)
    {
        _meters = meters;
        _tracers = tracers;
    }

    /// <summary>Starts what the options ask for.</summary>
    /// <exception cref="InvalidSettingException">An address or URL that cannot be used, named.</exception>
    internal static CliTelemetry Start(string? metrics, string? otlp)
    {
        if (metrics is null && otlp is null)
        {
            return new CliTelemetry(null, null);
        }

        System.Net.IPEndPoint? listen = null;
        if (metrics is not null && !System.Net.IPEndPoint.TryParse(metrics, out listen))
        {
            throw new InvalidSettingException("--metrics", $"--metrics takes an address and port to serve on, such as 127.0.0.1:9464, not '{metrics}'.");
        }

        Uri? endpoint = null;
        if (otlp is not null && (!Uri.TryCreate(otlp, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            throw new InvalidSettingException("--otlp", $"--otlp takes the collector's URL, such as http://localhost:4317, not '{otlp}'.");
        }

        // Durations in seconds: the SDK's default buckets are made for milliseconds.
        var seconds = new ExplicitBucketHistogramConfiguration { Boundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] };
        MeterProviderBuilder meters = Sdk.CreateMeterProviderBuilder()
            .AddMeter(RepartirTelemetry.Name)
            .AddView("repartir.task.duration", seconds)
            .AddView("repartir.task.queue_wait", seconds);
        if (listen is not null)
        {
            meters.AddPrometheusHttpListener(options =>
            {
                options.Host = listen.Address.ToString();
                options.Port = listen.Port;
            });
        }

        TracerProvider? tracers = null;
        if (endpoint is not null)
        {
            meters.AddOtlpExporter(options => options.Endpoint = endpoint);
            tracers = Sdk.CreateTracerProviderBuilder().AddSource(RepartirTelemetry.Name).AddOtlpExporter(options => options.Endpoint = endpoint).Build();
        }

        try
        {
            return new CliTelemetry(meters.Build(), tracers);
        }
        catch (Exception e) when (e is System.Net.HttpListenerException or InvalidOperationException)
        {
            tracers?.Dispose();
            throw new InvalidSettingException("--metrics", $"--metrics {metrics}: the endpoint cannot be served ({e.Message}).");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _tracers?.Dispose();
        _meters?.Dispose();
    }
}
