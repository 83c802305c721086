using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Repartir.Tasks;

namespace Repartir.Checkpoints;

/// <summary>
/// A task's stable key in a run's journal: the SHA-256 of what it runs (program, arguments, environment changes,
/// working directory, standard input), the identity of its input item, and which occurrence of that same task in
/// the run it is, so a fan-out that holds one task twice runs it twice, also when resumed.
/// </summary>
internal sealed class JournalKey : IDisposable
{
    private readonly Dictionary<string, int> _occurrences = new(StringComparer.Ordinal);
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256); // one per run: a key per task costs no native context

    /// <summary>The key of the next task made from <paramref name="spec"/> and <paramref name="inputIdentity"/>. Not thread-safe: one submitting thread.</summary>
    /// <exception cref="InvalidSettingException">A GPU kernel task: its key would not cover its shader and buffers, so it is not journaled.</exception>
    internal string Next(TaskSpec spec, string? inputIdentity)
    {
        if (spec.Kernel is not null)
        {
            throw new InvalidSettingException(nameof(TaskSpec.Kernel), "A run journal records process tasks; a GPU kernel task cannot be journaled.");
        }

        if (spec.Work is not null)
        {
            throw new InvalidSettingException(nameof(TaskSpec.Work), "A run journal records process tasks; in-process work (a script block) cannot be journaled: its result is live objects.");
        }

        IncrementalHash hash = _hash;
        Append(hash, "repartir-journal-1");
        Append(hash, spec.Executable);
        AppendCount(hash, spec.Arguments.Count);
        foreach (string argument in spec.Arguments)
        {
            Append(hash, argument);
        }

        AppendCount(hash, spec.Environment.Count);
        foreach (KeyValuePair<string, string?> pair in spec.Environment.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Append(hash, pair.Key);
            Append(hash, pair.Value);
        }

        Append(hash, spec.WorkingDirectory);
        AppendBytes(hash, spec.StandardInput);
        Append(hash, inputIdentity);
        string task = Convert.ToHexString(hash.GetHashAndReset());
        int occurrence = _occurrences[task] = _occurrences.GetValueOrDefault(task) + 1;
        return occurrence == 1 ? task : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{task}#{occurrence}")));
    }

    /// <inheritdoc />
    public void Dispose() => _hash.Dispose();

    // Every field is length-prefixed, with -1 for an absent one, so no two different tasks hash the same bytes. Text
    // goes in as its UTF-16 code units, not as UTF-8: an argument read from input that is not UTF-8 keeps each such
    // byte as a lone surrogate (ArgumentBytes), which UTF-8 would turn into U+FFFD, one key for different tasks.
    private static void Append(IncrementalHash hash, string? text)
    {
        AppendCount(hash, text?.Length ?? -1);
        if (text is not null)
        {
            hash.AppendData(MemoryMarshal.AsBytes(text.AsSpan()));
        }
    }

    private static void AppendBytes(IncrementalHash hash, ReadOnlyMemory<byte>? bytes)
    {
        AppendCount(hash, bytes?.Length ?? -1);
        if (bytes is { } present)
        {
            hash.AppendData(present.Span);
        }
    }

    private static void AppendCount(IncrementalHash hash, int count)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, count);
        hash.AppendData(length);
    }
}
