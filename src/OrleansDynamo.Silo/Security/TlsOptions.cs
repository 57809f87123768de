using System.Net;
using System.Security.Cryptography.X509Certificates;
using OrleansDynamo.Protocol.Security;

namespace OrleansDynamo.Silo.Security;

/// <summary>
/// Mutual TLS for every listener of a silo (Orleans silo-to-silo and gateway connections, the gRPC API, the dashboard
/// and JSON API): the silo's certificate and key, and the cluster's authority, the only issuer it trusts. Section
/// <c>Silo:Tls</c>. Without a certificate the silo speaks plaintext, which it only does on a loopback address unless
/// <see cref="AllowPlaintextOnNetwork"/> says so.
/// </summary>
public sealed class TlsOptions
{
    public const string Section = "Silo:Tls";

    /// <summary>The silo's certificate: a PEM file (with <see cref="KeyFile"/>) or a PKCS#12 file with its key. Unset: no TLS.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>The PEM private key of <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>The cluster's authority (PEM): peers, silos and clients alike, must present a certificate it issued.</summary>
    public string? AuthorityFile { get; set; }

    /// <summary>Listen without TLS on an address other than loopback (a warning is logged at start). Default false.</summary>
    public bool AllowPlaintextOnNetwork { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificateFile);

    /// <summary>Every problem with these settings for a silo listening on <paramref name="host"/>, each naming its field.</summary>
    public IEnumerable<string> Validate(string host)
    {
        if (!Enabled)
        {
            if (!string.IsNullOrWhiteSpace(KeyFile) || !string.IsNullOrWhiteSpace(AuthorityFile))
                yield return $"{Section}:KeyFile and {Section}:AuthorityFile need {Section}:CertificateFile";
            if (!IsLoopback(host) && !AllowPlaintextOnNetwork)
                yield return $"Silo:Host {host} is not a loopback address and TLS is off: set {Section}:CertificateFile, {Section}:KeyFile and " +
                    $"{Section}:AuthorityFile (see `dynamo cert`), or {Section}:AllowPlaintextOnNetwork to true to accept plaintext on the network";
            yield break;
        }
        if (!File.Exists(CertificateFile)) yield return $"{Section}:CertificateFile '{CertificateFile}' does not exist";
        if (!string.IsNullOrWhiteSpace(KeyFile) && !File.Exists(KeyFile)) yield return $"{Section}:KeyFile '{KeyFile}' does not exist";
        if (string.IsNullOrWhiteSpace(AuthorityFile)) yield return $"{Section}:AuthorityFile is required with a certificate: the cluster's authority is the only issuer a silo trusts";
        else if (!File.Exists(AuthorityFile)) yield return $"{Section}:AuthorityFile '{AuthorityFile}' does not exist";
    }

    /// <summary>Loads the certificate and the authority; null when TLS is off.</summary>
    /// <exception cref="ArgumentException">A file does not hold what it should, or the certificate is not the authority's.</exception>
    public ClusterTls? Load()
    {
        if (!Enabled) return null;
        var certificate = ClusterCertificates.LoadCertificate(CertificateFile!, KeyFile);
        var authority = ClusterCertificates.LoadAuthority(AuthorityFile!);
        if (!ClusterCertificates.IsIssuedBy(certificate, authority, CertificateRole.Silo))
            throw new ArgumentException($"{Section}:CertificateFile '{CertificateFile}' is not a silo certificate issued by the authority in '{AuthorityFile}' (or it has expired)");
        return new ClusterTls(certificate, authority);
    }

    public static bool IsLoopback(string host) => host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}

/// <summary>A silo's loaded TLS material: its own certificate and the cluster's authority.</summary>
public sealed record ClusterTls(X509Certificate2 Certificate, X509Certificate2 Authority)
{
    /// <summary>True for a peer's certificate the cluster's authority issued (for <paramref name="role"/> when given).</summary>
    public bool Trusts(X509Certificate2? peer, CertificateRole? role = null) => peer is not null && ClusterCertificates.IsIssuedBy(peer, Authority, role);
}
