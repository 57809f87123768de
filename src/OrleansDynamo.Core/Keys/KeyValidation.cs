using System.Text;

namespace OrleansDynamo.Core.Keys;

/// <summary>Checks made at the edge before anything is written.</summary>
public static class KeyValidation
{
    public const int MaxBucketNameLength = 64;

    /// <summary>Returns null when the key is acceptable, else a one-line reason.</summary>
    public static string? CheckKey(string? key)
    {
        if (string.IsNullOrEmpty(key)) return "key must not be empty";
        int bytes = Encoding.UTF8.GetByteCount(key);
        if (bytes > DynamoKey.MaxKeyBytes) return $"key is {bytes} bytes; the limit is {DynamoKey.MaxKeyBytes} bytes";
        return null;
    }

    /// <summary>Bucket names: 1..64 characters of [A-Za-z0-9_.-].</summary>
    public static string? CheckBucketName(string? bucket)
    {
        if (string.IsNullOrEmpty(bucket)) return "bucket name must not be empty";
        if (bucket.Length > MaxBucketNameLength) return $"bucket name is longer than {MaxBucketNameLength} characters";
        foreach (char c in bucket)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                return $"bucket name '{bucket}' may hold only letters, digits, '_', '-' and '.'";
        }
        return null;
    }
}
