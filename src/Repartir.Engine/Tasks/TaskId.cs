namespace Repartir.Tasks;

/// <summary>Identifies one submitted task within its pool; stable across retries.</summary>
/// <param name="Value">The pool-unique sequence number, starting at 1.</param>
public readonly record struct TaskId(long Value) : IComparable<TaskId>
{
    /// <inheritdoc />
    public int CompareTo(TaskId other) => Value.CompareTo(other.Value);

    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Orders two ids.</summary>
    public static bool operator <(TaskId left, TaskId right) => left.Value < right.Value;

    /// <summary>Orders two ids.</summary>
    public static bool operator >(TaskId left, TaskId right) => left.Value > right.Value;

    /// <summary>Orders two ids.</summary>
    public static bool operator <=(TaskId left, TaskId right) => left.Value <= right.Value;

    /// <summary>Orders two ids.</summary>
    public static bool operator >=(TaskId left, TaskId right) => left.Value >= right.Value;
}
