using System.Globalization;
using System.Management.Automation;
using Repartir.Cmdlets.Pools;
using Repartir.Checkpoints;
using Repartir.Cmdlets.Tasks;
using Repartir.Tasks;

namespace Repartir.Cmdlets.Output;

/// <summary>
/// The one factory for Repartir's errors: one method per stable error id, each with its specific exception, its
/// category and the input it concerns as the target. Messages are sentences a person can act on.
/// </summary>
public static class ErrorRecords
{
    /// <summary>No pool has the given name.</summary>
    public const string PoolNotFound = "PoolNotFound";

    /// <summary>A pool with the given name already exists.</summary>
    public const string PoolExists = "PoolExists";

    /// <summary>A pool could not be created with the given settings.</summary>
    public const string InvalidPoolSettings = "InvalidPoolSettings";

    /// <summary>An argument could not be made from the input item: a placeholder without a property, or a script block that failed.</summary>
    public const string ArgumentExpansionFailed = "ArgumentExpansionFailed";

    /// <summary>The task's parameters are invalid (the message names the field).</summary>
    public const string InvalidTask = "InvalidTask";

    /// <summary>A script-block task cannot be set up: a $using: that is not a variable or names none, a function or module that is not there, settings that do not go with a script block.</summary>
    public const string InvalidScriptTask = "InvalidScriptTask";

    /// <summary>A task did not succeed (with -ErrorOnFailure): a non-zero exit, a missing program, a timeout, …</summary>
    public const string TaskFailed = "TaskFailed";

    /// <summary>Wait-RepartirTask ran out of time before the task finished.</summary>
    public const string WaitTimedOut = "WaitTimedOut";

    /// <summary>The worker's address cannot be listened on (in use, or not an address of this machine).</summary>
    public const string WorkerBindFailed = "WorkerBindFailed";

    /// <summary>A worker could not be created with the given settings.</summary>
    public const string InvalidWorkerSettings = "InvalidWorkerSettings";

    /// <summary>No worker started in this session has the given name.</summary>
    public const string WorkerNotFound = "WorkerNotFound";

    /// <summary>A pool worker's address is malformed, cannot be resolved, or the pool already has it.</summary>
    public const string InvalidWorkerAddress = "InvalidWorkerAddress";

    /// <summary>The pool has no worker at the given address.</summary>
    public const string PoolWorkerNotFound = "PoolWorkerNotFound";

    /// <summary>The worker cannot be removed: it is the last place the pool can run tasks.</summary>
    public const string LastWorker = "LastWorker";

    /// <summary>A certificate, key or CA file cannot be used: unreadable, malformed, mismatched, expired or not yet valid.</summary>
    public const string CertificateUnusable = "CertificateUnusable";

    /// <summary>The mutual-TLS parameters are incomplete or contradict each other.</summary>
    public const string InvalidTlsSettings = "InvalidTlsSettings";

    /// <summary>A certificate could not be issued: a bad name, the CA's files, or a file that exists.</summary>
    public const string CertificateNotIssued = "CertificateNotIssued";

    /// <summary>No checkpoint in the store has the given name (or version, or iteration).</summary>
    public const string CheckpointNotFound = "CheckpointNotFound";

    /// <summary>A checkpoint version does not match its hash or is not a state tree; the store's other versions are fine.</summary>
    public const string CheckpointDamaged = "CheckpointDamaged";

    /// <summary>The checkpoint store cannot be opened, read or written: a read-only or full disk, a locked or foreign file.</summary>
    public const string CheckpointStoreUnavailable = "CheckpointStoreUnavailable";

    /// <summary>The state holds a value a checkpoint cannot (the message names its path), or a restored one PowerShell cannot show as asked.</summary>
    public const string StateNotStorable = "StateNotStorable";

    /// <summary>A checkpoint setting is out of range (-KeepLast below 0, an empty name).</summary>
    public const string InvalidCheckpointSettings = "InvalidCheckpointSettings";

    /// <summary>A results file could not be written: it exists (with -NoClobber), or its directory cannot be written.</summary>
    public const string ResultsNotWritten = "ResultsNotWritten";

    /// <summary>A results file could not be read: missing, not Parquet, or without a results table's columns.</summary>
    public const string ResultsNotReadable = "ResultsNotReadable";

    /// <summary>The WebGPU library is missing or is not a WebGPU implementation.</summary>
    public const string GpuLibraryMissing = "GpuLibraryMissing";

    /// <summary>No adapter can compute (none found, or only the Null backend).</summary>
    public const string NoUsableGpu = "NoUsableGpu";

    /// <summary>The WGSL did not compile or the pipeline was refused; the message is the compiler's, with line and column.</summary>
    public const string InvalidShader = "InvalidShader";

    /// <summary>The request exceeds one of the device's limits, which the message names.</summary>
    public const string GpuLimitExceeded = "GpuLimitExceeded";

    /// <summary>The kernel is malformed: no outputs, an empty input, a zero workgroup count, an unreadable shader file.</summary>
    public const string InvalidGpuKernel = "InvalidGpuKernel";

    /// <summary>The GPU device was lost during the call; the next call opens a new one.</summary>
    public const string GpuDeviceLost = "GpuDeviceLost";

    /// <summary>The device reported an error while running the work.</summary>
    public const string GpuFailed = "GpuFailed";

    /// <summary>Tensor operands whose shapes do not fit the operation (the message gives both shapes).</summary>
    public const string TensorShapeMismatch = "TensorShapeMismatch";

    /// <summary>An operand that is not numbers: a string, a ragged matrix, an empty array.</summary>
    public const string InvalidTensor = "InvalidTensor";

    /// <summary>Converts an error into the record PowerShell shows.</summary>
    public static ErrorRecord ToRecord(this CommandError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new ErrorRecord(error.Exception, error.ErrorId, error.Category, error.Target);
    }

    /// <summary>No pool is named <paramref name="name"/>.</summary>
    public static CommandError NoSuchPool(string name) =>
        new(PoolNotFound, ErrorCategory.ObjectNotFound, new PoolNotFoundException(name), name);

    /// <summary>No pool was named and none is the obvious one: <paramref name="pools"/> are the session's.</summary>
    public static CommandError NoPoolToWatch(IReadOnlyList<string> pools) =>
        new(
            PoolNotFound,
            ErrorCategory.ObjectNotFound,
            new PoolNotFoundException(
                PoolRegistry.DefaultPoolName,
                pools.Count == 0
                    ? "This session has no Repartir pool to watch: create one with New-RepartirPool (or submit a task, which creates the default pool)."
                    : $"Name the pool to watch with -Pool: this session has {pools.Count} ({string.Join(", ", pools)}) and none is named '{PoolRegistry.DefaultPoolName}'."),
            null);

    /// <summary>A pool named <paramref name="name"/> exists already.</summary>
    public static CommandError PoolNameTaken(string name) =>
        new(PoolExists, ErrorCategory.ResourceExists, new InvalidOperationException($"A Repartir pool named '{name}' already exists; remove it first (Remove-RepartirPool) or choose another name."), name);

    /// <summary>Pool <paramref name="name"/> cannot be created: <paramref name="problem"/> names the setting.</summary>
    public static CommandError BadPoolSettings(string name, ArgumentException problem) =>
        new(InvalidPoolSettings, ErrorCategory.InvalidArgument, problem, name);

    /// <summary>An argument could not be made from <paramref name="item"/>.</summary>
    public static CommandError CannotExpandArguments(object? item, Exception problem) =>
        new(ArgumentExpansionFailed, ErrorCategory.InvalidArgument, problem as ArgumentExpansionException ?? new ArgumentExpansionException(problem.Message, problem), item);

    /// <summary>The script block's tasks cannot be set up: <paramref name="problem"/> says why.</summary>
    public static CommandError BadScriptTask(ArgumentException problem, object? target) =>
        new(InvalidScriptTask, ErrorCategory.InvalidArgument, problem, target);

    /// <summary>The task made from <paramref name="item"/> is invalid: <paramref name="problem"/> names the field.</summary>
    public static CommandError BadTask(object? item, ArgumentException problem) =>
        new(InvalidTask, ErrorCategory.InvalidArgument, problem, item);

    /// <summary>The task of <paramref name="result"/> did not succeed; the target is its input item (the result when it had none).</summary>
    public static CommandError Failed(TaskResultInfo result)
    {
        ArgumentNullException.ThrowIfNull(result);
        ErrorCategory category = result.Kind switch
        {
            FailureKind.None or FailureKind.Signaled => ErrorCategory.InvalidResult,
            FailureKind.NotFound => ErrorCategory.ObjectNotFound,
            FailureKind.NotExecutable => ErrorCategory.PermissionDenied,
            FailureKind.TimedOut => ErrorCategory.OperationTimeout,
            FailureKind.Cancelled => ErrorCategory.OperationStopped,
            FailureKind.Rejected => ErrorCategory.LimitsExceeded,
            _ => ErrorCategory.ResourceUnavailable, // SpawnFailed, WorkerLost, NoWorker: the machine, not the task
        };
        return new CommandError(TaskFailed, category, new TaskFailedException(result), result.InputObject ?? result);
    }

    /// <summary>Task <paramref name="handle"/> was still running when Wait-RepartirTask's <paramref name="timeout"/> passed.</summary>
    public static CommandError StillRunning(TaskHandle handle, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(handle);
        string seconds = timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        return new CommandError(WaitTimedOut, ErrorCategory.OperationTimeout, new TimeoutException($"Task {handle.Id} ({handle.Name}) in pool '{handle.Pool}' did not finish within {seconds} seconds; it is still running. Wait for it again with Wait-RepartirTask."), handle);
    }

    /// <summary>A worker cannot listen on <paramref name="bind"/>.</summary>
    public static CommandError CannotListen(string bind, string reason) =>
        new(WorkerBindFailed, ErrorCategory.ResourceUnavailable, new IOException($"Cannot listen on {bind}: {reason}"), bind);

    /// <summary>A worker cannot be started with <paramref name="value"/>: <paramref name="problem"/> names the setting.</summary>
    public static CommandError BadWorkerSettings(object value, ArgumentException problem) =>
        new(InvalidWorkerSettings, ErrorCategory.InvalidArgument, problem, value);

    /// <summary>The file <paramref name="problem"/> names cannot be used for TLS; it is the target.</summary>
    public static CommandError UnusableCertificate(Repartir.Security.CertificateException problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return new(CertificateUnusable, ErrorCategory.SecurityError, problem, problem.Path);
    }

    /// <summary>The TLS parameters are incomplete: <paramref name="problem"/> says which is missing.</summary>
    public static CommandError BadTlsSettings(ArgumentException problem) =>
        new(InvalidTlsSettings, ErrorCategory.InvalidArgument, problem, problem?.ParamName);

    /// <summary>Certificate <paramref name="name"/> was not issued: <paramref name="problem"/> says why.</summary>
    public static CommandError NotIssued(string name, Exception problem) =>
        new(CertificateNotIssued, problem is Repartir.Security.CertificateException or UnauthorizedAccessException ? ErrorCategory.SecurityError : problem is IOException ? ErrorCategory.ResourceExists : ErrorCategory.InvalidArgument, problem, name);

    /// <summary>No worker started in this session is named <paramref name="name"/>.</summary>
    public static CommandError NoSuchWorker(string name) =>
        new(WorkerNotFound, ErrorCategory.ObjectNotFound, new WorkerNotFoundException(name), name);

    /// <summary>Pool worker address <paramref name="endpoint"/> cannot be added: <paramref name="problem"/> says why.</summary>
    public static CommandError BadWorkerAddress(string endpoint, Exception problem) =>
        new(InvalidWorkerAddress, ErrorCategory.InvalidArgument, problem, endpoint);

    /// <summary>None of <paramref name="poolNames"/> has a worker at <paramref name="endpoint"/>.</summary>
    public static CommandError NoSuchPoolWorker(string endpoint, IReadOnlyList<string> poolNames) =>
        new(PoolWorkerNotFound, ErrorCategory.ObjectNotFound, new PoolWorkerNotFoundException(endpoint, poolNames), endpoint);

    /// <summary><paramref name="worker"/> is the last place its pool can run tasks.</summary>
    public static CommandError OnlyWorkerLeft(object worker, InvalidOperationException problem) =>
        new(LastWorker, ErrorCategory.InvalidOperation, problem, worker);

    /// <summary>No checkpoint <paramref name="name"/> (at <paramref name="version"/>, when given) in the store in <paramref name="directory"/>.</summary>
    public static CommandError NoSuchCheckpoint(string name, long? version, string directory) =>
        new(CheckpointNotFound, ErrorCategory.ObjectNotFound, new CheckpointException(CheckpointProblem.NotFound, $"No checkpoint '{name}'{(version is null ? string.Empty : $" version {version}")} in {directory}."), name);

    /// <summary>Checkpoint <paramref name="name"/> could not be saved, restored or removed: <paramref name="problem"/> says why.</summary>
    public static CommandError CheckpointFailed(string name, CheckpointException problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return problem.Problem switch
        {
            CheckpointProblem.NotFound => new(CheckpointNotFound, ErrorCategory.ObjectNotFound, problem, name),
            CheckpointProblem.Damaged => new(CheckpointDamaged, ErrorCategory.InvalidData, problem, name),
            _ => new(CheckpointStoreUnavailable, ErrorCategory.WriteError, problem, name),
        };
    }

    /// <summary>The state to save as <paramref name="name"/> holds a value <paramref name="problem"/> names by its path.</summary>
    public static CommandError NotStorable(string name, StateTreeException problem) =>
        new(StateNotStorable, ErrorCategory.InvalidType, problem, problem?.Path ?? name);

    /// <summary>The state restored from <paramref name="name"/> cannot be shown as asked: <paramref name="problem"/> says where and what to do.</summary>
    public static CommandError NotRestorable(string name, StateTreeException problem) =>
        new(StateNotStorable, ErrorCategory.InvalidResult, problem, problem?.Path ?? name);

    /// <summary>A checkpoint setting is out of range: <paramref name="problem"/> names it.</summary>
    public static CommandError BadCheckpointSettings(string name, ArgumentException problem) =>
        new(InvalidCheckpointSettings, ErrorCategory.InvalidArgument, problem, name);

    /// <summary>The results table <paramref name="path"/> could not be written: <paramref name="problem"/> says why.</summary>
    public static CommandError CannotWriteResults(string path, Exception problem) =>
        new(ResultsNotWritten, problem is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.WriteError, problem, path);

    /// <summary>The results table <paramref name="path"/> could not be read: <paramref name="problem"/> says why.</summary>
    public static CommandError CannotReadResults(string path, Exception problem) =>
        new(ResultsNotReadable, problem is FileNotFoundException or DirectoryNotFoundException ? ErrorCategory.ObjectNotFound : problem is FormatException ? ErrorCategory.InvalidData : ErrorCategory.ReadError, problem, path);

    /// <summary>GPU work for <paramref name="target"/> could not be done: <paramref name="problem"/> says why, its kind picks the id.</summary>
    public static CommandError GpuFailure(object? target, Repartir.Gpu.GpuException problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return problem.Problem switch
        {
            Repartir.Gpu.GpuProblem.LibraryMissing => new(GpuLibraryMissing, ErrorCategory.ResourceUnavailable, problem, target),
            Repartir.Gpu.GpuProblem.NoUsableGpu => new(NoUsableGpu, ErrorCategory.ResourceUnavailable, problem, target),
            Repartir.Gpu.GpuProblem.InvalidShader => new(InvalidShader, ErrorCategory.InvalidArgument, problem, target),
            Repartir.Gpu.GpuProblem.LimitExceeded => new(GpuLimitExceeded, ErrorCategory.LimitsExceeded, problem, target),
            Repartir.Gpu.GpuProblem.InvalidKernel => new(InvalidGpuKernel, ErrorCategory.InvalidArgument, problem, target),
            Repartir.Gpu.GpuProblem.DeviceLost => new(GpuDeviceLost, ErrorCategory.ResourceUnavailable, problem, target),
            _ => new(GpuFailed, ErrorCategory.InvalidResult, problem, target),
        };
    }

    /// <summary>Tensor operands do not fit <paramref name="operation"/>: <paramref name="problem"/> gives the shapes.</summary>
    public static CommandError ShapeMismatch(string operation, Repartir.Tensors.TensorShapeException problem) =>
        new(TensorShapeMismatch, ErrorCategory.InvalidArgument, problem, operation);

    /// <summary>Operand <paramref name="parameter"/> is not a tensor: <paramref name="problem"/> says what was found.</summary>
    public static CommandError NotATensor(string parameter, ArgumentException problem) =>
        new(InvalidTensor, ErrorCategory.InvalidArgument, problem, parameter);
}
