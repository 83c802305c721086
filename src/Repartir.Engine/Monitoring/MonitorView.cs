using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Repartir.Monitoring;

/// <summary>How a <see cref="ClusterSnapshot"/> looks: the live screen (Spectre.Console), and one plain line for logs and dumb terminals.</summary>
public static class MonitorView
{
    /// <summary>The full view: a header with the totals, a row per worker, the longest-running tasks, and how to quit.</summary>
    public static IRenderable Render(ClusterSnapshot snapshot, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var header = new Markup(
            $"[bold]Repartir[/] {Markup.Escape(snapshot.Source)}   workers [bold]{snapshot.WorkersActive}[/]/{snapshot.WorkersTotal} active   " +
            $"pending [bold]{snapshot.Pending:N0}[/]   running [bold]{snapshot.Running:N0}[/]   completed [bold green]{snapshot.Completed:N0}[/]   " +
            $"failed [bold {(snapshot.Failed > 0 ? "red" : "default")}]{snapshot.Failed:N0}[/]   {Rate(snapshot.Throughput)}   ETA {Span(snapshot.EstimatedTimeLeft)}");

        var workers = new Table().Border(TableBorder.Simple).Expand();
        foreach (string column in new[] { "Address", "Name", "Status", "Load", "Slots", "Running", "Completed", "Failed", "Latency", "Uptime" })
        {
            workers.AddColumn(new TableColumn(column) { Alignment = column is "Address" or "Name" or "Status" ? Justify.Left : Justify.Right });
        }

        foreach (WorkerRow row in snapshot.Workers)
        {
            workers.AddRow(
                new Text(row.Address),
                new Text(row.Name),
                new Markup($"[{StatusColour(row.Status)}]{row.Status}[/]"),
                new Text(Load(row.Load)),
                new Text(Slots(row)),
                new Text(row.Running.ToString("N0", CultureInfo.InvariantCulture)),
                new Text(row.Completed.ToString("N0", CultureInfo.InvariantCulture)),
                new Text(row.Failed.ToString("N0", CultureInfo.InvariantCulture)),
                new Text(Latency(row.Latency)),
                new Text(Span(row.Uptime)));
        }

        var rows = new List<IRenderable> { header, workers };
        foreach (WorkerRow offline in snapshot.Workers.Where(r => r.Problem is not null))
        {
            rows.Add(new Markup($"[grey]{Markup.Escape(offline.Address)}: {Markup.Escape(offline.Problem!)}[/]"));
        }

        var longest = new Table().Border(TableBorder.Simple).Expand().Title("[bold]Longest running[/]");
        foreach (string column in new[] { "Worker", "Task", "Coordinator", "Attempt", "Running for" })
        {
            longest.AddColumn(new TableColumn(column) { Alignment = column is "Attempt" or "Running for" ? Justify.Right : Justify.Left, NoWrap = column != "Task" });
        }

        foreach (RunningTaskRow task in snapshot.LongestRunning)
        {
            longest.AddRow(new Text(task.Worker), new Text(task.Name), new Text(task.Coordinator), new Text(task.Attempt.ToString(CultureInfo.InvariantCulture)), new Text(Span(task.Elapsed)));
        }

        if (snapshot.LongestRunning.Count == 0)
        {
            longest.AddRow(new Text("(nothing running)"), new Text(string.Empty), new Text(string.Empty), new Text(string.Empty), new Text(string.Empty));
        }

        rows.Add(longest);
        rows.Add(new Markup($"[grey]{snapshot.Time.ToUniversalTime():HH:mm:ss}Z, every {Span(interval)}   q or Ctrl+C quits[/]"));
        return new Rows(rows);
    }

    /// <summary>One line with the totals and each worker's state, for a log or a terminal that cannot redraw.</summary>
    public static string PlainLine(ClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"{snapshot.Time.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ} {snapshot.Source}: workers {snapshot.WorkersActive}/{snapshot.WorkersTotal} active, ");
        line.Append(CultureInfo.InvariantCulture, $"pending {snapshot.Pending}, running {snapshot.Running}, completed {snapshot.Completed}, failed {snapshot.Failed}, {Rate(snapshot.Throughput)}, ETA {Span(snapshot.EstimatedTimeLeft)}");
        string separator = "; ";
        foreach (WorkerRow row in snapshot.Workers)
        {
            line.Append(separator).Append(string.IsNullOrEmpty(row.Name) ? row.Address : row.Name).Append(' ').Append(row.Status);
            if (row.Status != "Offline")
            {
                line.Append(CultureInfo.InvariantCulture, $" {Slots(row)} load {Load(row.Load)}");
            }

            separator = ", ";
        }

        return line.ToString();
    }

    private static string StatusColour(string status) => status switch
    {
        "Online" => "green",
        "Suspected" => "yellow",
        "Draining" => "blue",
        _ => "red",
    };

    private static string Rate(double perSecond) => string.Create(CultureInfo.InvariantCulture, $"{perSecond:0.0} tasks/s");

    private static string Load(double? load) => load is { } value ? value.ToString("0.00", CultureInfo.InvariantCulture) : "-";

    private static string Slots(WorkerRow row) => string.Create(CultureInfo.InvariantCulture, $"{(row.SlotsUsed is { } used ? used.ToString(CultureInfo.InvariantCulture) : "-")}/{row.Slots}");

    private static string Latency(TimeSpan? latency) => latency is { } value ? string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds:0.0} ms") : "-";

    /// <summary>A duration as people read it: 250ms, 4.2s, 3m05s, 2h07m, 3d04h.</summary>
    internal static string Span(TimeSpan? span) => span switch
    {
        null => "-",
        { TotalSeconds: < 1 } s => string.Create(CultureInfo.InvariantCulture, $"{s.TotalMilliseconds:0}ms"),
        { TotalSeconds: < 60 } s => string.Create(CultureInfo.InvariantCulture, $"{s.TotalSeconds:0.0}s"),
        { TotalMinutes: < 60 } s => string.Create(CultureInfo.InvariantCulture, $"{(int)s.TotalMinutes}m{s.Seconds:00}s"),
        { TotalHours: < 48 } s => string.Create(CultureInfo.InvariantCulture, $"{(int)s.TotalHours}h{s.Minutes:00}m"),
        { } s => string.Create(CultureInfo.InvariantCulture, $"{(int)s.TotalDays}d{s.Hours:00}h"),
    };
}
