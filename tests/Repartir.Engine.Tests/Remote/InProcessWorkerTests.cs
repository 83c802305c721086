using System.Net;
using System.Text;
using Repartir.Execution;
using Repartir.Remote;
using Repartir.Scheduling;
using Repartir.Tasks;

namespace Repartir.Tests.Remote;

/// <summary>WorkerOptions.InProcess: a worker runs the tasks it recognises inside its own process and answers as their program would.</summary>
public sealed class InProcessWorkerTests
{
    private sealed class Echo : IInProcessWork
    {
        public InProcessOutcome Run(ExecutionSlot slot, CancellationToken cancellationToken) =>
            new(null, null, Encoding.UTF8.GetBytes($"in process on {slot.Worker}"));
    }

    [Fact]
    public async Task A_recognised_task_runs_in_the_worker_and_its_answer_comes_back_as_standard_output_while_others_run_as_programs()
    {
        await using var worker = new WorkerServer(new WorkerOptions
        {
            Bind = new IPEndPoint(IPAddress.Loopback, 0),
            Name = "host",
            Slots = 1,
            Gpus = [],
            Process = TestPools.FastKill,
            InProcess = spec => spec.Executable == "not-a-real-program" ? new Echo() : null,
        });
        worker.Start();
        await using Pool pool = TestRemote.Pool([worker.Address()]);

        TaskResult hosted = await pool.SubmitAsync(new TaskSpec("not-a-real-program", "x") { Backend = Backend.Remote }).Within();
        Assert.True(hosted.Success, hosted.FailureMessage);
        Assert.Equal("in process on cpu-1", hosted.Stdout);
        Assert.Equal("not-a-real-program x", hosted.Name); // the coordinator's own spec, as for any remote task

        TaskResult program = await pool.SubmitAsync(new TaskSpec("echo", "as a program") { Backend = Backend.Remote }).Within();
        Assert.Equal("as a program\n", program.Stdout);
    }
}
