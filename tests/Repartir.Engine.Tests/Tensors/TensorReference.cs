namespace Repartir.Tests.Tensors;

/// <summary>What every tensor backend's tests compare against: seeded operands, and dot and sum in double precision.</summary>
internal static class TensorReference
{
    /// <summary>Values in [-2, 2), the same for the same seed.</summary>
    public static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 4) - 2))];
    }

    /// <summary>x·y and Σx in double precision, and how far float accumulation may stray from them (relative to Σ|terms|).</summary>
    public static (double Dot, double Sum, double Tolerance) DotAndSum(float[] x, float[] y, double relative)
    {
        double dot = 0, sum = 0, magnitude = 0;
        for (int i = 0; i < x.Length; i++)
        {
            dot += (double)x[i] * y[i];
            sum += x[i];
            magnitude += Math.Abs((double)x[i] * y[i]) + Math.Abs(x[i]);
        }

        return (dot, sum, (relative * magnitude) + 1e-6);
    }
}
