using System.Globalization;
using System.Text.RegularExpressions;

namespace Repartir.Gpu;

/// <summary>
/// The GPUs of one node that process tasks of the Gpu backend are placed on, one task a device while devices are
/// free: each running task is told its device in <c>CUDA_VISIBLE_DEVICES</c> (and <c>REPARTIR_GPU</c>), as schedulers
/// do. Devices are named as CUDA numbers them ("0", "1", …) or by UUID.
/// </summary>
public sealed partial class GpuDeviceSlots
{
    /// <summary>The variable a task's device is given in (CUDA and the libraries over it read it).</summary>
    public const string VisibleDevicesVariable = "CUDA_VISIBLE_DEVICES";

    /// <summary>The variable a task's device is also given in, for programs that are not CUDA's.</summary>
    public const string DeviceVariable = "REPARTIR_GPU";

    /// <summary>The variable that names a node's GPUs when detection would not (<c>0,1</c>, or <c>none</c>).</summary>
    public const string OverrideVariable = "REPARTIR_GPUS";

    private readonly object _gate = new();
    private readonly int[] _running;

    /// <summary>Slots over <paramref name="devices"/> (none: a node without GPUs).</summary>
    public GpuDeviceSlots(IReadOnlyList<string> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        Devices = devices;
        _running = new int[devices.Count];
    }

    /// <summary>The node's devices.</summary>
    public IReadOnlyList<string> Devices { get; }

    /// <summary>How many devices the node has.</summary>
    public int Count => Devices.Count;

    /// <summary>Devices running no task.</summary>
    public int Free
    {
        get
        {
            lock (_gate)
            {
                return _running.Count(n => n == 0);
            }
        }
    }

    /// <summary>
    /// This machine's GPUs: <c>REPARTIR_GPUS</c> when set; else the devices <c>CUDA_VISIBLE_DEVICES</c> names when set;
    /// else one per NVIDIA device node (<c>/dev/nvidia0</c>, …). A software rasterizer is no GPU here.
    /// </summary>
    /// <exception cref="InvalidSettingException">REPARTIR_GPUS is malformed.</exception>
    public static IReadOnlyList<string> Detect()
    {
        if (Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } named)
        {
            return Parse(named, OverrideVariable);
        }

        if (Environment.GetEnvironmentVariable(VisibleDevicesVariable) is { Length: > 0 } visible)
        {
            return visible.Trim() is "-1" or "none" or "NoDevFiles" ? [] : Parse(visible, VisibleDevicesVariable);
        }

        try
        {
            return [.. Directory.EnumerateFiles("/dev", "nvidia*")
                .Select(Path.GetFileName)
                .Select(name => NvidiaNode().Match(name!))
                .Where(match => match.Success)
                .Select(match => int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture))
                .Order()
                .Select(index => index.ToString(CultureInfo.InvariantCulture))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>A list of devices as people write it: <c>0,1,3</c>, UUIDs, or <c>none</c>.</summary>
    /// <exception cref="InvalidSettingException">Empty names, repeats, or characters a device name cannot hold.</exception>
    public static IReadOnlyList<string> Parse(string text, string setting)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        string[] devices = text.Split(',', StringSplitOptions.TrimEntries);
        if (devices.Any(d => !DeviceName().IsMatch(d)))
        {
            throw new InvalidSettingException(setting, $"{setting}: '{text}' is not a list of GPU devices: give numbers or UUIDs separated by commas (0,1 or GPU-8f3c...), or none.");
        }

        if (devices.Distinct(StringComparer.Ordinal).Count() != devices.Length)
        {
            throw new InvalidSettingException(setting, $"{setting}: '{text}' names a GPU device twice.");
        }

        return devices;
    }

    /// <summary>Checks a list of devices given as a setting: names a device can have, none twice.</summary>
    /// <exception cref="InvalidSettingException">A name is malformed or repeated.</exception>
    public static void Validate(IReadOnlyList<string>? devices, string setting)
    {
        if (devices is { Count: > 0 })
        {
            _ = Parse(string.Join(',', devices.Select(d => d ?? string.Empty)), setting);
        }
    }

    /// <summary>A free device for one task, or false when every device runs one.</summary>
    public bool TryAcquire(out string device)
    {
        lock (_gate)
        {
            int index = Array.IndexOf(_running, 0);
            device = index >= 0 ? Devices[index] : string.Empty;
            if (index >= 0)
            {
                _running[index]++;
            }

            return index >= 0;
        }
    }

    /// <summary>The device running the fewest tasks (shared when none is free: a worker serving several coordinators).</summary>
    /// <exception cref="InvalidOperationException">The node has no GPU.</exception>
    public string AcquireLeastLoaded()
    {
        lock (_gate)
        {
            if (_running.Length == 0)
            {
                throw new InvalidOperationException("This node has no GPU.");
            }

            int index = Array.IndexOf(_running, _running.Min());
            _running[index]++;
            return Devices[index];
        }
    }

    /// <summary>Gives back a device a task ran on.</summary>
    public void Release(string device)
    {
        lock (_gate)
        {
            int index = Devices.ToList().IndexOf(device);
            if (index >= 0 && _running[index] > 0)
            {
                _running[index]--;
            }
        }
    }

    /// <summary>The environment a task placed on <paramref name="device"/> runs with: its own changes, the device added unless it names one itself.</summary>
    public static IReadOnlyDictionary<string, string?> EnvironmentFor(IReadOnlyDictionary<string, string?> environment, string device)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var result = new Dictionary<string, string?>(environment);
        result.TryAdd(VisibleDevicesVariable, device);
        result.TryAdd(DeviceVariable, device);
        return result;
    }

    [GeneratedRegex("^nvidia([0-9]+)$")]
    private static partial Regex NvidiaNode();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9:._-]*$")]
    private static partial Regex DeviceName();
}
