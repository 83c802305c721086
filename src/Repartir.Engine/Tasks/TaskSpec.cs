namespace Repartir.Tasks;

/// <summary>
/// What to run: an executable and its argument vector (never passed through a shell), the
/// environment changes, working directory, standard input, priority, timeout, retries and backend.
/// </summary>
/// <remarks>
/// The executable is resolved like a shell does: a name without a slash is looked up on PATH
/// (the task's own PATH when its environment sets one); anything with a slash is a path, taken
/// relative to the current directory when it is not absolute.
/// </remarks>
public sealed record TaskSpec
{
    /// <summary>Creates a spec for <paramref name="executable"/> with <paramref name="arguments"/>.</summary>
    public TaskSpec(string executable, params string[] arguments)
    {
        Executable = executable;
        Arguments = arguments;
    }

    /// <summary>The program to run: a name looked up on PATH, or a path.</summary>
    public string Executable { get; init; }

    /// <summary>The arguments, one element per argument, passed to the program as they are.</summary>
    public IReadOnlyList<string> Arguments { get; init; }

    /// <summary>
    /// Changes to the inherited environment: a value sets (or adds) the variable, a <c>null</c> value removes it.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = EmptyEnvironment;

    /// <summary>The directory the program starts in; <c>null</c> for the current directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Bytes fed to the program's standard input; <c>null</c> connects it to <c>/dev/null</c>.</summary>
    public ReadOnlyMemory<byte>? StandardInput { get; init; }

    /// <summary>Scheduling priority.</summary>
    public TaskPriority Priority { get; init; } = TaskPriority.Normal;

    /// <summary>How long one attempt may run before its process tree is killed; <c>null</c> for no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Retries with back-off for transient failures.</summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.None;

    /// <summary>A name for people (shown on results and progress); <c>null</c> to use the command line.</summary>
    public string? Name { get; init; }

    /// <summary>Which backend runs the task: by default whichever worker of the pool is free first, local or remote.</summary>
    public Backend Backend { get; init; } = Backend.Auto;

    /// <summary>
    /// A GPU kernel to run instead of a process (<see cref="ForKernel"/>): this machine's WebGPU executor runs it on a
    /// worker thread of the pool, and its output buffers come back in <see cref="TaskResult.GpuOutputs"/>.
    /// </summary>
    public Gpu.GpuKernel? Kernel { get; init; }

    /// <summary>
    /// In-process work to run instead of a process (<see cref="ForWork"/>): a CPU worker of this machine's pool runs it,
    /// and its product comes back in <see cref="TaskResult.Value"/>. It never travels to a remote worker.
    /// </summary>
    public IInProcessWork? Work { get; init; }

    /// <summary>The item the task was made from; it travels unchanged onto the result.</summary>
    public object? InputObject { get; init; }

    /// <summary>A task that runs <paramref name="kernel"/> on this machine's GPU (the Gpu backend).</summary>
    public static TaskSpec ForKernel(Gpu.GpuKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return new TaskSpec($"wgsl:{kernel.EntryPoint}") { Kernel = kernel, Backend = Backend.Gpu };
    }

    /// <summary>A task that runs <paramref name="work"/> in this process, on a CPU worker of the pool; <paramref name="name"/> is shown for it.</summary>
    public static TaskSpec ForWork(IInProcessWork work, string name)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new TaskSpec("(in-process)") { Work = work, Name = name, Backend = Backend.Cpu };
    }

    /// <summary>The command line as a person would type it, for display only.</summary>
    public string CommandLine => Arguments.Count == 0
        ? QuoteForDisplay(Executable)
        : QuoteForDisplay(Executable) + " " + string.Join(' ', Arguments.Select(QuoteForDisplay));

    /// <summary>The name, or the command line when there is none.</summary>
    public string DisplayName => Name ?? CommandLine;

    /// <summary>Checks every field, naming the one that is wrong.</summary>
    /// <exception cref="ArgumentException">A field is empty, malformed or out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Executable))
        {
            throw new InvalidSettingException(nameof(Executable), "The executable must not be empty.");
        }

        if (Executable.Contains('\0', StringComparison.Ordinal))
        {
            throw new InvalidSettingException(nameof(Executable), "The executable must not contain a NUL character.");
        }

        ArgumentNullException.ThrowIfNull(Arguments, nameof(Arguments));
        for (int i = 0; i < Arguments.Count; i++)
        {
            if (Arguments[i] is null)
            {
                throw new InvalidSettingException(nameof(Arguments), $"Argument {i} is null.");
            }

            if (Arguments[i].Contains('\0', StringComparison.Ordinal))
            {
                throw new InvalidSettingException(nameof(Arguments), $"Argument {i} contains a NUL character, which no program can receive.");
            }
        }

        ArgumentNullException.ThrowIfNull(Environment, nameof(Environment));
        foreach (KeyValuePair<string, string?> pair in Environment)
        {
            if (string.IsNullOrEmpty(pair.Key) || pair.Key.Contains('=', StringComparison.Ordinal) || pair.Key.Contains('\0', StringComparison.Ordinal))
            {
                throw new InvalidSettingException(nameof(Environment), $"'{pair.Key}' is not a valid environment variable name.");
            }

            if (pair.Value is not null && pair.Value.Contains('\0', StringComparison.Ordinal))
            {
                throw new InvalidSettingException(nameof(Environment), $"The value of environment variable '{pair.Key}' contains a NUL character.");
            }
        }

        if (WorkingDirectory is not null && WorkingDirectory.Length == 0)
        {
            throw new InvalidSettingException(nameof(WorkingDirectory), "The working directory must not be empty; use null for the current directory.");
        }

        if (Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new InvalidSettingException(nameof(Timeout), $"The timeout must be positive, not {timeout}.");
        }

        if (!Enum.IsDefined(Priority))
        {
            throw new InvalidSettingException(nameof(Priority), "Unknown priority.");
        }

        if (!Enum.IsDefined(Backend))
        {
            throw new InvalidSettingException(nameof(Backend), "Unknown backend.");
        }

        ArgumentNullException.ThrowIfNull(Retry, nameof(Retry));
        Retry.Validate();
        if (Work is not null && Backend is not (Backend.Cpu or Backend.Auto))
        {
            throw new InvalidSettingException(nameof(Work), $"In-process work runs on this machine's CPU workers (the Cpu backend), not {Backend}.");
        }

        if (Kernel is not null)
        {
            if (Backend != Backend.Gpu)
            {
                throw new InvalidSettingException(nameof(Kernel), $"A GPU kernel runs on the Gpu backend, not {Backend}.");
            }

            try
            {
                Kernel.Validate();
            }
            catch (Gpu.GpuException e)
            {
                throw new InvalidSettingException(nameof(Kernel), e.Message);
            }
        }
    }

    private static readonly IReadOnlyDictionary<string, string?> EmptyEnvironment = new Dictionary<string, string?>();

    private static string QuoteForDisplay(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c, StringComparison.Ordinal))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
