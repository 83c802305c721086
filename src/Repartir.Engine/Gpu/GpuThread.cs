using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Repartir.Gpu;

/// <summary>
/// The one thread every WebGPU call of this process runs on. Dawn's OpenGL ES backend binds its EGL context to a
/// thread: calls from a second thread (a PowerShell pipeline, another xunit test) lose the device with
/// <c>eglCreateSync failed with EGL_BAD_MATCH</c> (seen here). One thread also serialises access to each device,
/// which WebGPU devices need anyway. A call from the thread itself runs inline.
/// </summary>
internal static class GpuThread
{
    private static readonly BlockingCollection<Action> Work = [];
    private static readonly Thread Thread = Start();

    /// <summary>Runs <paramref name="call"/> on the GPU thread and returns its result (or throws its exception) on the caller's.</summary>
    public static T Run<T>(Func<T> call)
    {
        if (Environment.CurrentManagedThreadId == Thread.ManagedThreadId)
        {
            return call();
        }

        T result = default!;
        ExceptionDispatchInfo? failure = null;
        using var done = new ManualResetEventSlim();
        Work.Add(() =>
        {
            try
            {
                result = call();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                done.Set();
            }
        });
        done.Wait();
        failure?.Throw();
        return result;
    }

    /// <summary>Runs <paramref name="call"/> on the GPU thread.</summary>
    public static void Run(Action call) => Run(() =>
    {
        call();
        return true;
    });

    private static Thread Start()
    {
        var thread = new Thread(() =>
        {
            foreach (Action action in Work.GetConsumingEnumerable())
            {
                action();
            }
        })
        {
            IsBackground = true, // never keeps a process (or PowerShell) from exiting
            Name = "Repartir GPU",
        };
        thread.Start();
        return thread;
    }
}
