namespace OrleansDynamo.Core.Versioning;

/// <summary>
/// The content type a value may carry (<see cref="Sibling.ContentType"/>): an RFC 7231 media type (§3.1.1.1),
/// <c>type/subtype</c> then any <c>; name=value</c> parameters (a value a token or a quoted string), in printable ASCII
/// (no tabs, no bytes above 0x7E), at most <see cref="MaxBytes"/> bytes. It is kept as written (media types are
/// case-insensitive, but the store does not rewrite what a client sent). Checked at the edge, when a version is made
/// (<see cref="SiblingSet.Create"/> and every set operation) and when a stored set is decoded, so a stored type can
/// always be sent back as an HTTP header.
/// </summary>
public static class ContentTypes
{
    /// <summary>The longest content type kept, in bytes (one ASCII character each).</summary>
    public const int MaxBytes = 255;

    /// <summary>What a reader that needs a type (REST) answers for a value stored without one.</summary>
    public const string OctetStream = "application/octet-stream";

    /// <summary>Returns null when <paramref name="contentType"/> may be stored, else a one-line reason.</summary>
    public static string? Check(string contentType)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        if (contentType.Length == 0) return "content type must not be empty (leave it out for none)";
        if (contentType.Length > MaxBytes) return $"content type is {contentType.Length} characters; the limit is {MaxBytes}";
        for (int i = 0; i < contentType.Length; i++)
        {
            if (contentType[i] is < ' ' or > '~')
                return $"content type holds a character that is not printable ASCII (U+{(int)contentType[i]:X4} at position {i})";
        }
        int at = 0;
        if (!Token(contentType, ref at) || !Take(contentType, ref at, '/') || !Token(contentType, ref at))
            return $"content type '{contentType}' is not a media type: expected type/subtype, as in application/json";
        while (at < contentType.Length)
        {
            // *( OWS ";" OWS parameter ), parameter = token "=" ( token / quoted-string )
            int gap = at;
            Spaces(contentType, ref at);
            if (!Take(contentType, ref at, ';'))
                return $"content type '{contentType}' has text at position {gap} where only '; name=value' parameters may follow the media type";
            Spaces(contentType, ref at);
            int start = at;
            if (!Token(contentType, ref at) || !Take(contentType, ref at, '=') || !(QuotedString(contentType, ref at) || Token(contentType, ref at)))
                return $"content type '{contentType}' has a malformed parameter at position {start}: expected name=value";
        }
        return null;
    }

    /// <summary>RFC 7230 tchar: visible ASCII except the separators.</summary>
    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    private static bool Token(string s, ref int at)
    {
        int start = at;
        while (at < s.Length && IsTokenChar(s[at])) at++;
        return at > start;
    }

    private static bool Take(string s, ref int at, char c)
    {
        if (at >= s.Length || s[at] != c) return false;
        at++;
        return true;
    }

    private static void Spaces(string s, ref int at)
    {
        while (at < s.Length && s[at] == ' ') at++;
    }

    /// <summary>DQUOTE *( qdtext / "\" char ) DQUOTE; only printable ASCII reaches here.</summary>
    private static bool QuotedString(string s, ref int at)
    {
        if (!Take(s, ref at, '"')) return false;
        while (at < s.Length)
        {
            char c = s[at++];
            if (c == '"') return true;
            if (c == '\\' && at++ >= s.Length) return false;
        }
        return false;
    }
}
