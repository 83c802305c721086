namespace Repartir.Testing;

/// <summary>Waits for a condition that holds only after other threads or processes act, failing instead of hanging.</summary>
internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds, failing the test after <paramref name="limit"/>.</summary>
    internal static void True(Func<bool> condition, TimeSpan limit, string what)
    {
        DateTime deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited {limit.TotalSeconds:0.#} s for {what}.");
            Thread.Sleep(5);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing the test after <paramref name="seconds"/>.</summary>
    internal static async Task TrueAsync(Func<bool> condition, int seconds = 10)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    /// <summary>Polls an asynchronous <paramref name="condition"/> (a scrape, a request) until it holds, failing the test after <paramref name="seconds"/>.</summary>
    internal static async Task TrueAsync(Func<Task<bool>> condition, int seconds = 10)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(50);
        }
    }
}

/// <summary>What the kernel says about a process.</summary>
internal static class Processes
{
    /// <summary>True while a process with this id exists and is not a zombie (a killed child whose parent died is one until reaped).</summary>
    internal static bool IsAlive(int pid)
    {
        string stat = $"/proc/{pid}/stat";
        try
        {
            string text = File.ReadAllText(stat);
            char state = text[text.LastIndexOf(')') + 2];
            return state is not 'Z' and not 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>SIGKILLs process <paramref name="pid"/> (a task's own process, to end it from outside).</summary>
    internal static void Kill(int pid)
    {
        using var process = System.Diagnostics.Process.GetProcessById(pid);
        process.Kill();
    }
}
