using Repartir.Tasks;

namespace Repartir.Tests.Tasks;

public sealed class ArgumentTemplateTests
{
    private sealed record FileLike(string FullName, string Name, long Length);

    [Fact]
    public void Braces_become_the_item_and_hash_its_number()
    {
        var template = ArgumentTemplate.Parse(["--in", "{}", "--out", "{}.{#}.out"], PlaceholderSyntax.ItemOnly);

        Assert.Equal(["--in", "a.csv", "--out", "a.csv.7.out"], template.Expand("a.csv", 7, InvariantItemFormatter.Instance));
        Assert.True(template.RefersToItem);
    }

    [Fact]
    public void Without_a_placeholder_the_item_is_appended_and_without_an_item_nothing_is()
    {
        var template = ArgumentTemplate.Parse(["-l"], PlaceholderSyntax.ItemOnly);

        Assert.Equal(["-l", "file"], template.Expand("file", 1, InvariantItemFormatter.Instance));
        Assert.Equal(["-l"], template.Expand(null, 1, InvariantItemFormatter.Instance));
    }

    [Fact]
    public void Number_only_still_appends_the_item()
    {
        var template = ArgumentTemplate.Parse(["{#}"], PlaceholderSyntax.ItemOnly);
        Assert.Equal(["3", "x"], template.Expand("x", 3, InvariantItemFormatter.Instance));
    }

    [Fact]
    public void Braces_that_are_not_placeholders_are_left_alone()
    {
        var template = ArgumentTemplate.Parse(["{print $1}", "{Name}", "{ }", "}{", "{"], PlaceholderSyntax.ItemOnly);

        Assert.Equal(["{print $1}", "{Name}", "{ }", "}{", "{", "item"], template.Expand("item", 1, InvariantItemFormatter.Instance));
    }

    [Fact]
    public void Property_placeholders_read_the_item()
    {
        var template = ArgumentTemplate.Parse(["--input", "{FullName}", "{name}:{Length}"], PlaceholderSyntax.ItemAndProperties);
        var file = new FileLike("/data/a.csv", "a.csv", 1234);

        Assert.Equal(["--input", "/data/a.csv", "a.csv:1234"], template.Expand(file, 1, InvariantItemFormatter.Instance));
        var row = new Dictionary<string, object> { ["Key"] = "x", ["Value"] = 1 };
        Assert.Equal(["x", "1"], ArgumentTemplate.Parse(["{key}", "{value}"], PlaceholderSyntax.ItemAndProperties).Expand(row, 1, InvariantItemFormatter.Instance));
    }

    [Fact]
    public void A_missing_property_is_an_error_naming_it_and_the_item()
    {
        var template = ArgumentTemplate.Parse(["{FulName}"], PlaceholderSyntax.ItemAndProperties);

        ArgumentException error = Assert.Throws<InvalidSettingException>(() => template.Expand(new FileLike("/a", "a", 1), 1, InvariantItemFormatter.Instance));
        Assert.Contains("FulName", error.Message, StringComparison.Ordinal);
        Assert.Contains("FileLike", error.Message, StringComparison.Ordinal);
        Assert.Equal("item", error.ParamName);
    }

    [Fact]
    public void Function_elements_are_evaluated_per_item()
    {
        var template = ArgumentTemplate.Parse([(object)"-n", new Func<object?, string>(item => ((string)item!).ToUpperInvariant())], PlaceholderSyntax.ItemAndProperties);

        Assert.Equal(["-n", "ABC"], template.Expand("abc", 1, InvariantItemFormatter.Instance));
        Assert.True(template.RefersToItem);
    }

    [Fact]
    public void Elements_of_other_types_are_refused()
    {
        Assert.Throws<InvalidSettingException>(() => ArgumentTemplate.Parse([(object)42], PlaceholderSyntax.ItemAndProperties));
    }

    [Fact]
    public void Numbers_are_formatted_with_the_invariant_culture()
    {
        Assert.Equal("1.5", InvariantItemFormatter.Instance.Format(1.5));
        Assert.Equal(string.Empty, InvariantItemFormatter.Instance.Format(null));
    }
}
