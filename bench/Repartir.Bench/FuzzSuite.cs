using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Repartir.Testing;

namespace Repartir.Bench;

/// <summary>
/// <c>fuzz</c>: the long run of the frame fuzz harness (CI runs a short one): random and mutated frames to the
/// decoder and, each on its own connection, to a live worker. Not a ratio: it reports counts and failures.
/// </summary>
internal static class FuzzSuite
{
    internal static JsonObject Run(long cases, int parallelism, bool tls = false)
    {
        Console.WriteLine($"fuzz: {cases:N0} cases, {parallelism} connections at a time{(tls ? ", each through mutual TLS with a trusted client certificate" : string.Empty)}");
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using var authority = Repartir.Security.CertificateIssuer.CreateAuthority("fuzz CA", TimeSpan.FromDays(1), now);
        using var server = Repartir.Security.CertificateIssuer.IssueServer(authority, "localhost", [], [System.Net.IPAddress.Loopback], TimeSpan.FromDays(1), now);
        using var client = Repartir.Security.CertificateIssuer.IssueClient(authority, "fuzzer", TimeSpan.FromDays(1), now);
        (Repartir.Security.TlsCredentials, System.Security.Cryptography.X509Certificates.X509Certificate2)? credentials = tls ? (new Repartir.Security.TlsCredentials(server, [authority]), client) : null;
        var clock = Stopwatch.StartNew();
        var progress = new Progress<long>(done =>
        {
            if (done % 100_000 == 0)
            {
                Console.WriteLine($"  {done:N0} cases, {clock.Elapsed.TotalSeconds:0} s");
            }
        });
        FrameFuzzer.Report report = FrameFuzzer.RunAsync(cases, seed: 2026, parallelism, progress: progress, tls: credentials).GetAwaiter().GetResult();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  decoder: {report.Decoded:N0} read as messages, {report.Refused:N0} refused with a protocol error"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  live worker: {report.LiveCases:N0} connections: {report.ErrorFrames:N0} error frames, {report.Answered:N0} answered, {report.ClosedQuietly:N0} closed quietly; {report.HealthChecks} health checks passed"));
        Console.WriteLine($"  failures: {report.Failures.Count}");
        foreach (string failure in report.Failures)
        {
            Console.WriteLine("    " + failure);
        }

        return new JsonObject
        {
            ["suite"] = "fuzz",
            ["tls"] = tls,
            ["cases"] = report.Cases,
            ["decoded"] = report.Decoded,
            ["refused"] = report.Refused,
            ["live_cases"] = report.LiveCases,
            ["error_frames"] = report.ErrorFrames,
            ["answered"] = report.Answered,
            ["closed_quietly"] = report.ClosedQuietly,
            ["health_checks"] = report.HealthChecks,
            ["failures"] = new JsonArray([.. report.Failures.Select(f => (JsonNode)f)]),
            ["seconds"] = clock.Elapsed.TotalSeconds,
        };
    }
}
