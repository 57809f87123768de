namespace OrleansDynamo.Protocol.Tests;

public sealed class GrpcProtocolTests
{
    [Theory]
    [InlineData("1H", 3600_000.0)]
    [InlineData("2M", 120_000.0)]
    [InlineData("3S", 3000.0)]
    [InlineData("250m", 250.0)]
    [InlineData("1500u", 1.5)]
    [InlineData("2000000n", 2.0)]
    [InlineData("99999999S", 99_999_999_000.0)]
    public void Parses_every_timeout_unit(string value, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GrpcProtocol.ParseTimeout(value));

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("10x")]
    [InlineData("-1S")]
    [InlineData("123456789S")]
    public void Rejects_malformed_timeouts(string value) => Assert.Null(GrpcProtocol.ParseTimeout(value));

    [Theory]
    [InlineData(0.5, "500u")]
    [InlineData(250.0, "250000u")]
    [InlineData(3_600_000.0, "3600000m")]
    public void Formats_timeouts_in_the_finest_unit_that_fits(double milliseconds, string expected) =>
        Assert.Equal(expected, GrpcProtocol.FormatTimeout(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    [InlineData("plain ascii", "plain ascii")]
    [InlineData("100%", "100%25")]
    [InlineData("ü", "%C3%BC")]
    [InlineData("a\nb", "a%0Ab")]
    public void Percent_encodes_status_messages(string message, string encoded)
    {
        Assert.Equal(encoded, GrpcProtocol.EncodeMessage(message));
        Assert.Equal(message, GrpcProtocol.DecodeMessage(encoded));
    }

    [Fact]
    public void Keeps_malformed_escapes_literally() => Assert.Equal("50%z", GrpcProtocol.DecodeMessage("50%z"));
}
