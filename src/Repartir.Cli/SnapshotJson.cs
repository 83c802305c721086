using System.Text.Json;
using Repartir.Monitoring;

namespace Repartir.Cli;

/// <summary>The JSON form of a <see cref="ClusterSnapshot"/> (<c>repartir top --json</c>): camelCase, durations in seconds, absent values null.</summary>
internal static class SnapshotJson
{
    internal static void Write(Utf8JsonWriter writer, ClusterSnapshot snapshot)
    {
        writer.WriteStartObject();
        writer.WriteString("time", snapshot.Time);
        writer.WriteString("source", snapshot.Source);
        writer.WriteNumber("workersActive", snapshot.WorkersActive);
        writer.WriteNumber("workersTotal", snapshot.WorkersTotal);
        writer.WriteNumber("pending", snapshot.Pending);
        writer.WriteNumber("running", snapshot.Running);
        writer.WriteNumber("completed", snapshot.Completed);
        writer.WriteNumber("failed", snapshot.Failed);
        writer.WriteNumber("throughput", Math.Round(snapshot.Throughput, 3));
        Seconds(writer, "etaSeconds", snapshot.EstimatedTimeLeft);
        writer.WriteStartArray("workers");
        foreach (WorkerRow row in snapshot.Workers)
        {
            writer.WriteStartObject();
            writer.WriteString("address", row.Address);
            writer.WriteString("name", row.Name);
            writer.WriteString("status", row.Status);
            Number(writer, "load", row.Load);
            Number(writer, "slotsUsed", row.SlotsUsed);
            writer.WriteNumber("slots", row.Slots);
            writer.WriteNumber("running", row.Running);
            writer.WriteNumber("completed", row.Completed);
            writer.WriteNumber("failed", row.Failed);
            Number(writer, "latencyMs", row.Latency?.TotalMilliseconds);
            Seconds(writer, "uptimeSeconds", row.Uptime);
            writer.WriteString("problem", row.Problem);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("longestRunning");
        foreach (RunningTaskRow task in snapshot.LongestRunning)
        {
            writer.WriteStartObject();
            writer.WriteString("worker", task.Worker);
            writer.WriteString("name", task.Name);
            writer.WriteString("coordinator", task.Coordinator);
            writer.WriteNumber("attempt", task.Attempt);
            writer.WriteNumber("elapsedSeconds", Math.Round(task.Elapsed.TotalSeconds, 3));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void Seconds(Utf8JsonWriter writer, string name, TimeSpan? span) => Number(writer, name, span is { } value ? Math.Round(value.TotalSeconds, 3) : null);

    private static void Number(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } present)
        {
            writer.WriteNumber(name, present);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
