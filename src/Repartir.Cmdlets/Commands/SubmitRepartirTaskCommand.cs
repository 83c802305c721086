using System.Collections;
using System.Management.Automation;
using Repartir.Cmdlets.Completers;
using Repartir.Cmdlets.Output;
using Repartir.Cmdlets.Pools;
using Repartir.Cmdlets.Tasks;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Commands;

/// <summary>Submit-RepartirTask: runs a program, or a script block, once per input item on a pool and streams the results.</summary>
[Cmdlet(VerbsLifecycle.Submit, "RepartirTask", DefaultParameterSetName = ProgramSet, HelpUri = HelpUris.Pages + "Submit-RepartirTask.md")]
[OutputType(typeof(TaskResultInfo), typeof(TaskHandle), typeof(Jobs.RepartirJob))]
public sealed class SubmitRepartirTaskCommand : PSCmdlet, IDisposable
{
    private const string ProgramSet = "Program";
    private const string ScriptSet = "ScriptBlock";
    private SubmitTaskRunner? _runner;

    /// <summary>The program: a name looked up on PATH, or a path (relative to the current location).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ProgramSet)]
    [ValidateNotNullOrEmpty]
    public string FilePath { get; set; } = string.Empty;

    /// <summary>A script block to run once per input item, with $_ bound to it, in a runspace of the pool's (reused, reset between tasks).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ScriptSet)]
    [ValidateNotNull]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary>Modules (names or paths) imported into the script block's runspaces.</summary>
    [Parameter(ParameterSetName = ScriptSet)]
    [ValidateNotNullOrEmpty]
    public string[] ImportModule { get; set; } = [];

    /// <summary>Functions of this session made available to the script block, as they are defined now.</summary>
    [Parameter(ParameterSetName = ScriptSet)]
    [ValidateNotNullOrEmpty]
    public string[] ImportFunction { get; set; } = [];

    /// <summary>Write each script task's output objects and records to this command's streams instead of a result object.</summary>
    [Parameter(ParameterSetName = ScriptSet)]
    public SwitchParameter Stream { get; set; }

    /// <summary>A program's arguments: {} is the input item, {#} its number, {Name} one of its properties; a script block is run per item with $_ bound. A script block's arguments: $args, or its param() block.</summary>
    [Parameter(Position = 1)]
    [Alias("Args")]
    [AllowEmptyCollection]
    [AllowNull]
    public object?[]? ArgumentList { get; set; }

    /// <summary>The input items: one task each; each travels on its result as InputObject.</summary>
    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>Environment variables to set for the tasks; a $null value removes the variable.</summary>
    [Parameter(ParameterSetName = ProgramSet)]
    public Hashtable? Environment { get; set; }

    /// <summary>The directory the tasks start in; the current location when omitted.</summary>
    [Parameter(ParameterSetName = ProgramSet)]
    [ValidateNotNullOrEmpty]
    public string? WorkingDirectory { get; set; }

    /// <summary>Scheduling priority.</summary>
    [Parameter]
    public TaskPriority Priority { get; set; } = TaskPriority.Normal;

    /// <summary>Where each task runs: Auto (whichever worker is free first), Cpu (this machine), Remote (the pool's workers), Gpu (a node with a free GPU).</summary>
    [Parameter]
    public Backend Backend { get; set; } = Backend.Auto;

    /// <summary>Kill a task's process tree after this many seconds.</summary>
    [Parameter]
    [ValidateRange(0.001, 31536000.0)]
    public double TimeoutSeconds { get; set; }

    /// <summary>Retry a failed task up to this many more times, with exponential back-off.</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public int RetryCount { get; set; }

    /// <summary>The pool (object or name); the default pool, created on first use, when omitted.</summary>
    [Parameter]
    [PoolTransformation]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    public PoolInfo? Pool { get; set; }

    /// <summary>Emit results in input order instead of completion order.</summary>
    [Parameter]
    public SwitchParameter Ordered { get; set; }

    /// <summary>Emit task handles at once instead of results; collect them with Wait-RepartirTask.</summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <summary>Run the tasks as one PowerShell job, with a child job per task, and write the job (Get-Job, Receive-Job, Stop-Job and Remove-Job work on it).</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    /// <summary>Write each task that does not succeed as a non-terminating TaskFailed error (carrying its result) instead of a result object.</summary>
    [Parameter]
    public SwitchParameter ErrorOnFailure { get; set; }

    /// <summary>Record each success in this journal (in the checkpoint store); a task an earlier run with the same journal recorded is not run again, and its recorded result comes back with FromJournal set.</summary>
    [Parameter(ParameterSetName = ProgramSet)]
    [ValidateNotNullOrEmpty]
    public string? Journal { get; set; }

    /// <summary>With -Journal: discard what the journal recorded, and run everything.</summary>
    [Parameter(ParameterSetName = ProgramSet)]
    public SwitchParameter Restart { get; set; }

    /// <summary>With -Journal: the checkpoint store's directory; the default store (REPARTIR_HOME, else ~/.local/share/repartir) when omitted.</summary>
    [Parameter(ParameterSetName = ProgramSet)]
    [ValidateNotNullOrEmpty]
    public string? JournalPath { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        if (Journal is null ? Restart || JournalPath is not null : NoWait || AsJob)
        {
            string problem = Journal is null ? "-Restart and -JournalPath go with -Journal NAME." : "-Journal records results as they come back, so it cannot go with -NoWait or -AsJob.";
            ThrowTerminatingError(ErrorRecords.BadCheckpointSettings(Journal ?? string.Empty, new InvalidSettingException(nameof(Journal), problem)).ToRecord());
            return;
        }

        if (AsJob && NoWait)
        {
            ThrowTerminatingError(ErrorRecords.BadTask(null, new InvalidSettingException(nameof(AsJob), "-AsJob and -NoWait are two ways to collect results later: use one.")).ToRecord());
            return;
        }

        PoolInfo pool;
        try
        {
            pool = Pool?.Resolve() ?? PoolRegistry.Process.GetOrCreateDefault();
        }
        catch (TerminatingCommandException ex)
        {
            ThrowTerminatingError(ex.Error.ToRecord());
            return;
        }

        if (ScriptBlock is not null)
        {
            BeginScript(pool, ScriptBlock);
            return;
        }

        SubmitTaskRequest request = CommonRequest() with
        {
            FilePath = ResolveFilePath(FilePath),
            Arguments = ArgumentTemplate.Parse((ArgumentList ?? []).Select(ToTemplateElement), PlaceholderSyntax.ItemAndProperties),
            Environment = ToEnvironment(Environment),
            WorkingDirectory = WorkingDirectory is null
                ? SessionState.Path.CurrentFileSystemLocation.ProviderPath
                : GetUnresolvedProviderPathFromPSPath(WorkingDirectory),
            Journal = Journal,
            RestartJournal = Restart,
            JournalStore = JournalPath is null ? null : GetUnresolvedProviderPathFromPSPath(JournalPath),
        };
        try
        {
            _runner = new SubmitTaskRunner(pool, request, PSItemFormatter.Instance, new CmdletSink(this));
            RegisterJob();
        }
        catch (TerminatingCommandException ex)
        {
            ThrowTerminatingError(ex.Error.ToRecord());
        }
    }

    /// <summary>What a program's and a script block's tasks share: where and how they run, and how results come back.</summary>
    private SubmitTaskRequest CommonRequest() => new()
    {
        Priority = Priority,
        Backend = Backend,
        Timeout = MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSeconds)) ? TimeSpan.FromSeconds(TimeoutSeconds) : null,
        Retry = RetryPolicy.WithRetries(RetryCount),
        Ordered = Ordered,
        NoWait = NoWait,
        AsJob = AsJob,
        ErrorOnFailure = ErrorOnFailure,
    };

    /// <summary>-AsJob: the job joins PowerShell's job repository at once, so Get-Job sees it while the input still comes.</summary>
    private void RegisterJob()
    {
        if (_runner?.Job is { } job)
        {
            JobRepository.Add(job);
        }
    }

    /// <inheritdoc />
    protected override void ProcessRecord() => _runner!.Submit(InputObject);

    /// <summary>-ScriptBlock: takes the $using: values, functions and modules from this session now, and runs on the pool's runspaces.</summary>
    private void BeginScript(PoolInfo pool, ScriptBlock script)
    {
        try
        {
            if (Backend == Backend.Gpu)
            {
                throw new TerminatingCommandException(ErrorRecords.BadScriptTask(new InvalidSettingException(nameof(Backend), "-ScriptBlock runs in this machine's runspaces (Backend Cpu or Auto) or in pwsh on the pool's workers (Remote), not on a GPU."), Backend));
            }

            Scripts.ScriptDefinition definition = Scripts.ScriptCapture.Capture(this, pool, script, ArgumentList ?? [], ImportModule, ImportFunction, remote: Backend == Backend.Remote);
            SubmitTaskRequest request = CommonRequest() with { Script = definition, Stream = Stream };
            _runner = new SubmitTaskRunner(pool, request, PSItemFormatter.Instance, new CmdletSink(this));
            RegisterJob();
        }
        catch (TerminatingCommandException ex)
        {
            ThrowTerminatingError(ex.Error.ToRecord());
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        try
        {
            _runner!.Complete();
        }
        catch (OperationCanceledException)
        {
            // Stopped with Ctrl+C: the tasks were cancelled; PowerShell ends the pipeline.
        }
    }

    /// <inheritdoc />
    protected override void StopProcessing() => _runner?.Stop();

    /// <inheritdoc />
    public void Dispose() => _runner?.Dispose();

    private static object ToTemplateElement(object? element, int index)
    {
        object? value = element is PSObject wrapped ? wrapped.BaseObject : element;
        return value switch
        {
            ScriptBlock script => new Func<object?, string>(item => Evaluate(script, index, item)),
            null => string.Empty,
            _ => LanguagePrimitives.ConvertTo<string>(value),
        };
    }

    /// <summary>Runs a script block argument for one item (on the pipeline thread); its failure fails that item only.</summary>
    private static string Evaluate(ScriptBlock script, int index, object? item)
    {
        try
        {
            return LanguagePrimitives.ConvertTo<string>(script.InvokeWithContext(null, [new PSVariable("_", item)]));
        }
        catch (RuntimeException e) when (e is not PipelineStoppedException)
        {
            string text = script.ToString().Trim();
            text = text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
            throw new ArgumentExpansionException($"The script block argument {index + 1} {{ {text} }} failed for this item: {e.Message}", e);
        }
    }

    private static Dictionary<string, string?> ToEnvironment(Hashtable? table)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (table is not null)
        {
            foreach (DictionaryEntry entry in table)
            {
                environment[LanguagePrimitives.ConvertTo<string>(entry.Key)] = entry.Value is null ? null : LanguagePrimitives.ConvertTo<string>(entry.Value);
            }
        }

        return environment;
    }

    /// <summary>A bare name is looked up on PATH by the engine; anything path-like is resolved against the current location.</summary>
    private string ResolveFilePath(string filePath) =>
        filePath.Contains('/', StringComparison.Ordinal) || filePath.Contains('\\', StringComparison.Ordinal) || filePath.StartsWith('~')
            ? GetUnresolvedProviderPathFromPSPath(filePath)
            : filePath;
}
