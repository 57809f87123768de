using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace OrleansDynamo.Cli.Output;

/// <summary>
/// How a value is shown: as itself when it is text (valid UTF-8 without control characters other than tab and line
/// breaks), else as base64, so bytes never print as U+FFFD. <c>get --raw</c> writes the bytes as they are instead.
/// </summary>
internal static class ValueText
{
    /// <summary>The encoding names of <c>--json</c>.</summary>
    public const string Utf8 = "utf-8", Base64 = "base64";

    /// <summary>The value as text and the encoding it is shown in: base64 when it is not text, or for every value when asked.</summary>
    public static (string Text, string Encoding) Show(ReadOnlySpan<byte> value, bool base64)
    {
        if (!base64 && TryText(value, out string? text)) return (text, Utf8);
        return (Convert.ToBase64String(value), Base64);
    }

    /// <summary>The value for a line of text output: base64 marked "(base64)" when it is not text and base64 was not asked for.</summary>
    public static string Inline(ReadOnlySpan<byte> value, bool base64)
    {
        var (text, encoding) = Show(value, base64);
        return encoding == Base64 && !base64 ? text + " (base64)" : text;
    }

    private static bool TryText(ReadOnlySpan<byte> value, [NotNullWhen(true)] out string? text)
    {
        text = null;
        if (!System.Text.Unicode.Utf8.IsValid(value)) return false;
        string decoded = Encoding.UTF8.GetString(value);
        foreach (char c in decoded)
        {
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r')) return false;
        }
        text = decoded;
        return true;
    }
}
