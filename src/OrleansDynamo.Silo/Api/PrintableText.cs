using System.Text;

namespace OrleansDynamo.Silo.Api;

/// <summary>When a value's bytes may be shown as text (the dashboard's key lookup, the REST API's sibling listing).</summary>
public static class PrintableText
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>The bytes as text when they are UTF-8 without control characters (other than tab and line breaks), else null.</summary>
    public static string? Of(byte[] bytes)
    {
        try
        {
            string text = StrictUtf8.GetString(bytes);
            return text.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t') ? null : text;
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
