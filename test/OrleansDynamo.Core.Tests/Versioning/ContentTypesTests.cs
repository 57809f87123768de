using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.Versioning;

/// <summary>Which content types a value may carry (<see cref="ContentTypes"/>), and that a refused one makes nothing.</summary>
public sealed class ContentTypesTests
{
    [Theory]
    [InlineData("application/json")]
    [InlineData("application/octet-stream")]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData("text/plain;charset=UTF-8")]
    [InlineData("Text/HTML ;  charset=\"iso-8859-1\"; q=1")]
    [InlineData("multipart/form-data; boundary=\"a b;c\\\"d\"")]
    [InlineData("application/vnd.api+json")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("*/*")]
    public void Media_types_are_accepted(string type) => Assert.Null(ContentTypes.Check(type));

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("json", "not a media type")]
    [InlineData("application/", "not a media type")]
    [InlineData("/json", "not a media type")]
    [InlineData(" application/json", "not a media type")]
    [InlineData("application /json", "not a media type")]
    [InlineData("application/json ", "at position 16 where only '; name=value' parameters may follow")]
    [InlineData("application/json;", "malformed parameter at position 17")]
    [InlineData("text/plain; charset", "malformed parameter")]
    [InlineData("text/plain; charset=", "malformed parameter")]
    [InlineData("text/plain; charset=\"utf-8", "malformed parameter")]
    [InlineData("text/plain, text/html", "at position 10 where only '; name=value' parameters may follow")]
    [InlineData("text/plain\r\nX-Injected: 1", "not printable ASCII (U+000D at position 10)")]
    [InlineData("text/plain;\tcharset=utf-8", "not printable ASCII (U+0009")]
    [InlineData("text/pläin", "not printable ASCII")]
    public void Other_text_is_refused_with_the_reason(string type, string why) => Assert.Contains(why, ContentTypes.Check(type));

    [Fact]
    public void The_longest_is_255_characters()
    {
        string longest = "a/" + new string('b', ContentTypes.MaxBytes - 2);
        Assert.Null(ContentTypes.Check(longest));
        Assert.Equal("content type is 256 characters; the limit is 255", ContentTypes.Check(longest + "b"));
    }

    [Fact]
    public void A_put_with_a_refused_type_or_a_delete_with_any_type_makes_no_version()
    {
        var set = SiblingSet.Empty.Update(VectorClock.Empty, "a", [1], false, 1, "application/json");
        var bad = Assert.Throws<ArgumentException>(() => set.Update(set.Context, "a", [2], false, 2, "not a type"));
        Assert.Contains("not a media type", bad.Message);
        var delete = Assert.Throws<ArgumentException>(() => set.Update(set.Context, "a", [], true, 2, "application/json"));
        Assert.Contains("a delete marker carries no content type", delete.Message);
        Assert.Equal("application/json", Assert.Single(set.Siblings).ContentType);
    }

    [Fact]
    public void A_set_cannot_be_built_holding_a_refused_type()
    {
        var context = VectorClock.Empty.WithEntry("a", 1, 1);
        var e = Assert.Throws<ArgumentException>(() => SiblingSet.Create(context, [new Sibling(new Dot("a", 1), [1], false, 1, "text/plain\n")]));
        Assert.StartsWith("sibling a:1: content type holds a character that is not printable ASCII", e.Message);
        Assert.Throws<ArgumentException>(() => SiblingSet.Create(context, [new Sibling(new Dot("a", 1), [], true, 1, "text/plain")]));
    }
}
