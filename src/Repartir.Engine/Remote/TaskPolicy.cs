using System.IO.Enumeration;
using Repartir.Execution;
using Repartir.Tasks;

namespace Repartir.Remote;

/// <summary>
/// What a worker agrees to run for its coordinators: which programs (an allow-list of paths and globs, checked
/// against the file that would really run), and which environment variables a task may set (a deny-list of
/// names that change how programs load or start, such as LD_PRELOAD, with explicit exceptions). A task outside it
/// is answered with a Rejected result naming the rule, and never runs.
/// </summary>
public sealed record TaskPolicy
{
    /// <summary>
    /// Names a task may not set unless <see cref="AllowedEnvironment"/> lifts them: they make the dynamic loader,
    /// shells or interpreters load code of the caller's choosing.
    /// </summary>
    public static readonly IReadOnlyList<string> DeniedEnvironment =
    [
        "LD_*", "DYLD_*", "GCONV_PATH", "LOCPATH", "HOSTALIASES", "MALLOC_*",
        "BASH_ENV", "ENV", "BASH_FUNC_*", "SHELLOPTS", "BASHOPTS", "PS4", "IFS",
        "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PERL5LIB", "PERL5OPT", "PERLLIB", "RUBYOPT", "RUBYLIB", "NODE_OPTIONS", "NODE_PATH",
    ];

    /// <summary>
    /// Programs a task may run: absolute paths or globs (<c>*</c> matches any characters, <c>/</c> included),
    /// matched against the full path of the file that would run. Empty allows every program.
    /// </summary>
    public IReadOnlyList<string> AllowedExecutables { get; init; } = [];

    /// <summary>Names (or globs) lifted from <see cref="DeniedEnvironment"/>.</summary>
    public IReadOnlyList<string> AllowedEnvironment { get; init; } = [];

    /// <summary>Checks the rules, naming the one that is malformed.</summary>
    /// <exception cref="InvalidSettingException">An allow rule is empty or not an absolute path or glob.</exception>
    public void Validate()
    {
        foreach (string rule in AllowedExecutables)
        {
            if (string.IsNullOrWhiteSpace(rule) || !rule.StartsWith('/'))
            {
                throw new InvalidSettingException(nameof(AllowedExecutables), $"An allowed program must be an absolute path or glob (/usr/bin/python3, /opt/tools/*), not '{rule}'.");
            }
        }

        foreach (string name in AllowedEnvironment)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains('=', StringComparison.Ordinal))
            {
                throw new InvalidSettingException(nameof(AllowedEnvironment), $"An allowed environment variable is a name or glob (LD_LIBRARY_PATH), not '{name}'.");
            }
        }
    }

    /// <summary>Null when <paramref name="spec"/> may run here; otherwise the sentence its Rejected result carries.</summary>
    internal string? Refusal(TaskSpec spec, string workerName)
    {
        foreach (string name in spec.Environment.Keys)
        {
            if (DeniedEnvironment.FirstOrDefault(rule => Matches(rule, name)) is { } denied && !AllowedEnvironment.Any(rule => Matches(rule, name)))
            {
                return $"Worker {workerName} does not let a task set {name} (rule {denied}: it changes what code programs load); the worker may lift it with --allow-env {name}.";
            }
        }

        if (AllowedExecutables.Count == 0)
        {
            return null;
        }

        string? searchPath = spec.Environment.TryGetValue("PATH", out string? path) ? path : Environment.GetEnvironmentVariable("PATH");
        string? program = ExecutableResolver.Resolve(spec.Executable, searchPath).FullPath;
        if (program is not null && AllowedExecutables.Any(rule => Matches(rule, program)))
        {
            return null;
        }

        return $"Worker {workerName} does not run '{spec.Executable}'{(program is null ? string.Empty : $" ({program})")}: it is outside the worker's --allow rules ({string.Join(", ", AllowedExecutables)}).";
    }

    private static bool Matches(string rule, string value) => FileSystemName.MatchesSimpleExpression(rule, value, ignoreCase: false);
}
