using System.Diagnostics;
using Repartir.Gpu;

namespace Repartir.Tensors;

/// <summary>One tensor call's result: a tensor (element-wise, scale, matmul) or a number (dot, sum), where it ran and why.</summary>
/// <param name="Operation">The operation.</param>
/// <param name="Tensor">The resulting tensor; null for dot and sum.</param>
/// <param name="Scalar">The resulting number; null for operations that give a tensor.</param>
/// <param name="Decision">The backend that ran it and why.</param>
/// <param name="Duration">How long the call took, transfers included.</param>
public sealed record TensorOutcome(TensorOperation Operation, Tensor? Tensor, float? Scalar, TensorDecision Decision, TimeSpan Duration);

/// <summary>Runs a tensor operation on the backend asked for, or on the one <see cref="TensorBackendChooser"/> picks for Auto.</summary>
public static class TensorRunner
{
    /// <summary>Which backend would run the call, and why (what <c>-WhatIf</c> shows).</summary>
    /// <exception cref="TensorShapeException">The operands do not fit the operation.</exception>
    public static TensorDecision Decide(TensorOperation operation, Tensor left, Tensor? right, TensorBackend backend, GpuExecutor gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        (long size, double flops, long inputBytes, long outputBytes) = Cost(operation, left, right);
        return backend switch
        {
            TensorBackend.Cpu => new TensorDecision(TensorBackend.Cpu, size >= TensorBackendChooser.Thresholds(TensorBackendChooser.ComplexityOf(operation)).SimdFrom ? "Simd" : "Scalar", "asked for the CPU"),
            TensorBackend.Gpu => new TensorDecision(TensorBackend.Gpu, "Gpu", "asked for the GPU"),
            _ => TensorBackendChooser.Choose(operation, size, flops, inputBytes, outputBytes, () => gpu.Calibration),
        };
    }

    /// <summary>Runs the call.</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="left">x, or A for matmul.</param>
    /// <param name="right">y, or B for matmul; null for scale and sum.</param>
    /// <param name="scalar">The factor of scale.</param>
    /// <param name="backend">Cpu, Gpu or Auto.</param>
    /// <param name="gpu">The GPU executor for GPU work.</param>
    /// <exception cref="TensorShapeException">The operands do not fit the operation.</exception>
    /// <exception cref="GpuException">The GPU was asked for and cannot run it.</exception>
    public static TensorOutcome Run(TensorOperation operation, Tensor left, Tensor? right, float scalar, TensorBackend backend, GpuExecutor gpu)
    {
        TensorDecision decision = Decide(operation, left, right, backend, gpu);
        long start = Stopwatch.GetTimestamp();
        Tensor? tensor = null;
        float? number = null;
        if (decision.Backend == TensorBackend.Gpu)
        {
            var on = new GpuTensor(gpu);
            switch (operation)
            {
                case TensorOperation.Add: tensor = on.Add(left, right!); break;
                case TensorOperation.Subtract: tensor = on.Subtract(left, right!); break;
                case TensorOperation.Multiply: tensor = on.Multiply(left, right!); break;
                case TensorOperation.Divide: tensor = on.Divide(left, right!); break;
                case TensorOperation.Scale: tensor = on.Scale(left, scalar); break;
                case TensorOperation.Dot: number = on.Dot(left, right!); break;
                case TensorOperation.Sum: number = on.Sum(left); break;
                default: tensor = on.MatMul(left, right!); break;
            }
        }
        else
        {
            switch (operation)
            {
                case TensorOperation.Add: tensor = CpuTensor.Add(left, right!); break;
                case TensorOperation.Subtract: tensor = CpuTensor.Subtract(left, right!); break;
                case TensorOperation.Multiply: tensor = CpuTensor.Multiply(left, right!); break;
                case TensorOperation.Divide: tensor = CpuTensor.Divide(left, right!); break;
                case TensorOperation.Scale: tensor = CpuTensor.Scale(left, scalar); break;
                case TensorOperation.Dot: number = CpuTensor.Dot(left, right!); break;
                case TensorOperation.Sum: number = CpuTensor.Sum(left); break;
                default: tensor = CpuTensor.MatMul(left, right!); break;
            }
        }

        return new TensorOutcome(operation, tensor, number, decision, Stopwatch.GetElapsedTime(start));
    }

    /// <summary>Whether <paramref name="operation"/> takes a second operand.</summary>
    public static bool TakesRight(TensorOperation operation) => operation is not (TensorOperation.Scale or TensorOperation.Sum);

    private static (long Size, double Flops, long InputBytes, long OutputBytes) Cost(TensorOperation operation, Tensor left, Tensor? right)
    {
        ArgumentNullException.ThrowIfNull(left);
        if (TakesRight(operation) && right is null)
        {
            throw new TensorShapeException($"{operation} takes two operands; the second (Right) is missing.");
        }

        if (operation == TensorOperation.MatMul)
        {
            (int m, int k, int n) = TensorShapes.MatMul(left, right!);
            return (Math.Max((long)m * k, Math.Max((long)k * n, (long)m * n)), 2.0 * m * k * n, 4L * ((long)m * k + (long)k * n), 4L * m * n);
        }

        if (right is not null && TakesRight(operation))
        {
            TensorShapes.SameShape(left, right, operation.ToString().ToLowerInvariant());
        }

        long values = left.Length;
        long inputs = TakesRight(operation) ? 2 : 1;
        long outputs = operation is TensorOperation.Dot or TensorOperation.Sum ? 1 : values;
        return (values, values * inputs, 4 * values * inputs, 4 * outputs);
    }
}
