using System.Runtime.InteropServices;
using Repartir.Tasks;

namespace Repartir.Execution.Native;

/// <summary>Native copies of strings and NULL-terminated string vectors, freed together.</summary>
internal unsafe struct NativeStrings : IDisposable
{
    private List<nint>? _blocks;

    internal byte* Add(string value)
    {
        int length = ArgumentBytes.GetByteCount(value);
        byte* block = (byte*)Allocate((nuint)length + 1);
        ArgumentBytes.Encode(value, new Span<byte>(block, length));
        block[length] = 0;
        return block;
    }

    internal byte** AddVector(List<string> values)
    {
        nuint pointers = (nuint)(values.Count + 1) * (nuint)sizeof(byte*);
        nuint total = pointers;
        foreach (string value in values)
        {
            total += (nuint)ArgumentBytes.GetByteCount(value) + 1;
        }

        byte* block = (byte*)Allocate(total);
        byte** vector = (byte**)block;
        byte* cursor = block + pointers;
        for (int i = 0; i < values.Count; i++)
        {
            int written = ArgumentBytes.Encode(values[i], new Span<byte>(cursor, (int)(block + total - cursor)));
            cursor[written] = 0;
            vector[i] = cursor;
            cursor += written + 1;
        }

        vector[values.Count] = null;
        return vector;
    }

    public void Dispose()
    {
        if (_blocks is null)
        {
            return;
        }

        foreach (nint block in _blocks)
        {
            NativeMemory.Free((void*)block);
        }

        _blocks = null;
    }

    private void* Allocate(nuint size)
    {
        void* block = NativeMemory.Alloc(size);
        (_blocks ??= new List<nint>(4)).Add((nint)block);
        return block;
    }
}
