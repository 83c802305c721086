using System.Collections;
using System.Globalization;
using System.Management.Automation;
using Repartir.Tensors;

namespace Repartir.Cmdlets.Gpu;

/// <summary>
/// PowerShell values as tensors: a <see cref="Tensor"/> as it is, a <c>float[]</c> or a list of numbers as a vector,
/// a list of equal-length lists of numbers as a matrix (one inner list per row), a single number as a vector of one.
/// Anything else (a string, a ragged matrix, an empty list) is refused with where it was found.
/// </summary>
public static class TensorOperands
{
    /// <summary>Converts <paramref name="value"/>, given as <paramref name="parameter"/>.</summary>
    /// <exception cref="ArgumentException">It is not numbers in one of the shapes above; the message says where.</exception>
    public static Tensor From(object? value, string parameter)
    {
        object? item = Unwrap(value);
        switch (item)
        {
            case null:
                throw new ArgumentException($"{parameter} is null: give numbers, a float[] or a tensor.", parameter);
            case Tensor tensor:
                return tensor;
            case float[] floats:
                return floats.Length == 0 ? throw Empty(parameter) : Tensor.Vector(floats);
            case string text:
                throw new ArgumentException($"{parameter} is the string '{text}': give numbers, a float[] or a tensor.", parameter);
            case IEnumerable list:
                object?[] items = [.. list.Cast<object?>().Select(Unwrap)];
                if (items.Length == 0)
                {
                    throw Empty(parameter);
                }

                if (items.All(i => i is IEnumerable and not string))
                {
                    float[][] rows = [.. items.Select((row, r) => Numbers((IEnumerable)row!, $"{parameter}[{r}]"))];
                    int columns = rows[0].Length;
                    int ragged = Array.FindIndex(rows, row => row.Length != columns);
                    if (columns == 0 || ragged >= 0)
                    {
                        throw new ArgumentException($"{parameter} is not a matrix: row 0 has {columns} values and row {Math.Max(ragged, 0)} has {rows[Math.Max(ragged, 0)].Length}; every row needs the same number, at least one.", parameter);
                    }

                    return Tensor.Matrix(rows.Length, columns, [.. rows.SelectMany(row => row)]);
                }

                return Tensor.Vector(Numbers(items, parameter));
            default:
                return Tensor.Vector([Number(item, parameter)]);
        }
    }

    /// <summary>A list of numbers as floats.</summary>
    /// <exception cref="ArgumentException">An element is not a number; the message gives its index.</exception>
    public static float[] Numbers(IEnumerable values, string parameter)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new List<float>();
        int index = 0;
        foreach (object? value in values)
        {
            result.Add(Number(Unwrap(value), $"{parameter}[{index++}]"));
        }

        return [.. result];
    }

    private static float Number(object? value, string where) => value switch
    {
        float f => f,
        double d => (float)d,
        int or long or short or byte or sbyte or uint or ulong or ushort or decimal => Convert.ToSingle(value, CultureInfo.InvariantCulture),
        null => throw new ArgumentException($"{where} is null; every value must be a number.", where),
        _ => throw new ArgumentException($"{where} is {(value is string s ? $"the string '{s}'" : $"a {value.GetType().Name}")}; every value must be a number.", where),
    };

    private static ArgumentException Empty(string parameter) => new($"{parameter} is empty: a tensor holds at least one value.", parameter);

    private static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;
}
