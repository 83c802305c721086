using System.Collections;
using Repartir.Checkpoints;

namespace Repartir.Tests.Checkpoints;

public sealed class StateTreeTests
{
    [Fact]
    public void Every_kind_of_value_nested_comes_back_as_it_was_stored()
    {
        var moment = new DateTimeOffset(2026, 12, 1, 10, 30, 15, TimeSpan.Zero).AddTicks(1234567);
        var state = new Hashtable
        {
            ["name"] = "nightly",
            ["epoch"] = 42,
            ["negative"] = -7L,
            ["huge"] = ulong.MaxValue,
            ["rate"] = 0.125,
            ["single"] = 1.5f,
            ["done"] = true,
            ["nothing"] = null,
            ["blob"] = new byte[] { 0, 1, 2, 255 },
            ["at"] = moment,
            ["model"] = new Dictionary<string, object?> { ["weights"] = new[] { 1.0, 2.5, double.NaN, double.PositiveInfinity }, ["layers"] = new List<object?> { "a", 1, new Hashtable { ["deep"] = Array.Empty<object>() } } },
            ["empty map"] = new Hashtable(),
        };

        var back = Assert.IsType<Dictionary<string, object?>>(StateTree.Decode(StateTree.Encode(state)));

        Assert.Equal("nightly", back["name"]);
        Assert.Equal(42L, back["epoch"]);
        Assert.Equal(-7L, back["negative"]);
        Assert.Equal(ulong.MaxValue, back["huge"]);
        Assert.Equal(0.125, back["rate"]);
        Assert.Equal(1.5, back["single"]);
        Assert.Equal(true, back["done"]);
        Assert.Null(back["nothing"]);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, back["blob"]);
        Assert.Equal(moment, back["at"]);
        var model = Assert.IsType<Dictionary<string, object?>>(back["model"]);
        var weights = Assert.IsType<List<object?>>(model["weights"]);
        Assert.Equal(2.5, weights[1]);
        Assert.True(double.IsNaN((double)weights[2]!));
        Assert.Equal(double.PositiveInfinity, weights[3]);
        var layers = Assert.IsType<List<object?>>(model["layers"]);
        Assert.Empty(Assert.IsType<List<object?>>(Assert.IsType<Dictionary<string, object?>>(layers[2])["deep"]));
        Assert.Empty(Assert.IsType<Dictionary<string, object?>>(back["empty map"]));
    }

    [Fact]
    public void Maps_keep_their_order_and_times_without_a_zone_are_taken_as_UTC()
    {
        var ordered = new System.Collections.Specialized.OrderedDictionary { ["z"] = 1, ["a"] = 2, ["m"] = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Unspecified) };

        var back = Assert.IsType<Dictionary<string, object?>>(StateTree.Decode(StateTree.Encode(ordered)));

        Assert.Equal(["z", "a", "m"], back.Keys);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), back["m"]);
    }

    public static TheoryData<object, string, string> Refused => new()
    {
        { new Hashtable { ["model"] = new Hashtable { ["weights"] = new object[] { 1, 2, 3, 4.5m } } }, "$state.model.weights[3]", "[double]" },
        { new Hashtable { ["when"] = TimeSpan.FromSeconds(3) }, "$state.when", "TotalSeconds" },
        { new Hashtable { ["odd key"] = new Hashtable { ["id"] = Guid.Empty } }, "$state['odd key'].id", ".ToString()" },
        { new Hashtable { [1] = "a number as key" }, "$state", "string keys" },
        { new object[] { DayOfWeek.Monday }, "$state[0]", "[int]" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_value_a_checkpoint_cannot_hold_is_refused_naming_its_path(object state, string path, string hint)
    {
        StateTreeException e = Assert.Throws<StateTreeException>(() => StateTree.Encode(state));

        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(hint, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cycle_is_refused_at_the_depth_limit_instead_of_exhausting_the_stack()
    {
        var loop = new Hashtable();
        loop["self"] = loop;

        StateTreeException e = Assert.Throws<StateTreeException>(() => StateTree.Encode(loop));

        Assert.StartsWith("$state.self.self.self", e.Path, StringComparison.Ordinal);
        Assert.Contains("deeper than 256", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_or_foreign_payload_is_a_clear_error_not_a_wrong_value()
    {
        byte[] payload = StateTree.Encode(new Hashtable { ["a"] = new[] { 1, 2, 3 } });

        Assert.Contains("bytes after its state tree", Assert.Throws<StateTreeException>(() => StateTree.Decode([.. payload, 0xC0])).Message, StringComparison.Ordinal);
        Assert.Contains("not a state tree", Assert.Throws<StateTreeException>(() => StateTree.Decode(payload.AsSpan(0, payload.Length - 1))).Message, StringComparison.Ordinal);
        Assert.Contains("after its state tree", Assert.Throws<StateTreeException>(() => StateTree.Decode("{\"json\":1}"u8)).Message, StringComparison.Ordinal); // '{' reads as the integer 123, then the rest is left over
        byte[] twice = [0x82, 0xA1, (byte)'k', 0x01, 0xA1, (byte)'k', 0x02]; // {"k":1,"k":2}
        Assert.Contains("the key 'k' twice", Assert.Throws<StateTreeException>(() => StateTree.Decode(twice)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_encoding_is_deterministic_and_a_million_doubles_take_nine_bytes_each()
    {
        var weights = new double[1_000_000];
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = i * 0.5;
        }

        byte[] first = StateTree.Encode(new Hashtable { ["w"] = weights });
        byte[] second = StateTree.Encode(new Hashtable { ["w"] = weights });

        Assert.Equal(first, second);
        Assert.InRange(first.Length, 9_000_000, 9_000_100); // 9 bytes a double, and a few for the headers
        Assert.Equal(499_999.5, ((IList)((Dictionary<string, object?>)StateTree.Decode(first)!)["w"]!)[999_999]);
    }

    [Fact]
    public void Encoding_into_segments_gives_the_same_bytes_whatever_the_segment_size()
    {
        var random = new Random(7);
        byte[] large = new byte[200_000];
        random.NextBytes(large);
        var state = new Dictionary<string, object?> { ["large"] = large, ["text"] = new string('é', 5000), ["numbers"] = Enumerable.Range(0, 3000).Cast<object?>().ToList() };
        byte[] contiguous = StateTree.Encode(state);

        foreach (int segmentSize in new[] { 1, 7, 4096, 1 << 20 })
        {
            using var segmented = new SegmentedBuffer(segmentSize);
            StateTree.Write(segmented, state);
            segmented.Complete();
            Assert.Equal(contiguous.Length, segmented.Length);
            Assert.Equal(contiguous, segmented.Completed().SelectMany(s => s).ToArray());
            Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(contiguous)).ToLowerInvariant(), segmented.Sha256());
        }
    }
}
