namespace Repartir.Tasks;

/// <summary>
/// Scheduling priority. A free worker never starts a lower-priority task while a higher one is queued.
/// The numeric values double as queue indexes, highest priority first.
/// </summary>
public enum TaskPriority
{
    /// <summary>Runs before everything else that is queued.</summary>
    High = 0,

    /// <summary>The default.</summary>
    Normal = 1,

    /// <summary>Runs only when nothing of higher priority is queued.</summary>
    Low = 2,
}
