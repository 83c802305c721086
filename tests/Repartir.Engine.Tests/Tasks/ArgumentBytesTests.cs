using System.Text;
using Repartir.Tasks;

namespace Repartir.Tests.Tasks;

public sealed class ArgumentBytesTests
{
    [Fact]
    public void Any_bytes_come_back_exactly_from_their_text()
    {
        var random = new Random(8);
        for (int i = 0; i < 5000; i++)
        {
            var bytes = new byte[random.Next(0, 24)];
            random.NextBytes(bytes);
            if (i % 2 == 0)
            {
                // Half mostly valid UTF-8 with a few bad bytes in it, which is what real input looks like.
                bytes = [.. Encoding.UTF8.GetBytes("né 𐂀 x"), .. bytes.Take(2), .. Encoding.UTF8.GetBytes("ü")];
            }

            string text = ArgumentBytes.Decode(bytes);
            Assert.Equal(bytes.Length, ArgumentBytes.GetByteCount(text));
            Assert.Equal(bytes, ArgumentBytes.GetBytes(text));
        }
    }

    [Theory]
    [InlineData("plain ascii")]
    [InlineData("café 漢字")]
    [InlineData("\U00010080 has a low surrogate in the escape range")]
    public void Valid_UTF8_is_plain_text_both_ways(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);

        Assert.Equal(text, ArgumentBytes.Decode(utf8));
        Assert.Equal(utf8, ArgumentBytes.GetBytes(text));
        Assert.False(ArgumentBytes.HasEscapedBytes(text));
    }

    [Fact]
    public void A_byte_outside_UTF8_becomes_one_lone_surrogate_and_back()
    {
        string text = ArgumentBytes.Decode([0x63, 0xE9, 0x80]);

        Assert.Equal("c\uDCE9\uDC80", text);
        Assert.True(ArgumentBytes.HasEscapedBytes(text));
        Assert.Equal(new byte[] { 0x63, 0xE9, 0x80 }, ArgumentBytes.GetBytes(text));
    }

    [Fact]
    public void A_lone_surrogate_that_is_not_an_escaped_byte_is_written_as_the_replacement_character()
    {
        Assert.Equal(Encoding.UTF8.GetBytes("a\uFFFDb"), ArgumentBytes.GetBytes("a\uD800b"));
        Assert.Equal(Encoding.UTF8.GetBytes("\uFFFD"), ArgumentBytes.GetBytes("\uDC10"));
    }
}
